// Runs one iter8 load in its own process, so the harness can pin it to a core and measure its
// RSS. Usage: node dist/iter8-runner.js '<RunnerSpec JSON>'. Prints one RunnerOutput JSON line.
import type { RssSample, RunnerOutput, RunnerSpec } from "./runner-protocol.js";

/** The part of `@iter8/loadgen`'s contract this runner drives. */
interface LatencyHistogramLike {
  percentile(p: number): number;
  readonly max: number;
}
interface LoadResultLike {
  requests: number;
  errors: number;
  durationMs: number;
  achievedRate: number;
  latency: LatencyHistogramLike;
  dispatchLagMs?: { p50: number; p99: number; max: number };
}
interface LoadgenModuleLike {
  runLoad(options: Record<string, unknown>): Promise<LoadResultLike>;
}

async function importLoadgen(): Promise<LoadgenModuleLike> {
  // Imported by name at run time so this file compiles whatever loadgen currently exports.
  const mod = (await import("@iter8/loadgen")) as Partial<LoadgenModuleLike>;
  if (typeof mod.runLoad !== "function") {
    throw new Error("@iter8/loadgen does not export runLoad yet");
  }
  return mod as LoadgenModuleLike;
}

function parseSpec(arg: string | undefined): RunnerSpec {
  if (arg === undefined) throw new Error("usage: iter8-runner '<json spec>'");
  const spec = JSON.parse(arg) as RunnerSpec;
  if (typeof spec.url !== "string" || !(spec.connections > 0) || !(spec.durationMs > 0)) {
    throw new Error(`invalid runner spec: ${arg}`);
  }
  return spec;
}

async function runOnce(spec: RunnerSpec): Promise<RunnerOutput> {
  const loadgen = await importLoadgen();
  const samples: RssSample[] = [];
  const started = performance.now();
  const timer =
    spec.rssSampleEveryMs > 0
      ? setInterval(() => {
          samples.push({
            atMs: Math.round(performance.now() - started),
            rssBytes: process.memoryUsage.rss(),
          });
        }, spec.rssSampleEveryMs)
      : undefined;
  try {
    const result = await loadgen.runLoad({
      url: spec.url,
      connections: spec.connections,
      qps: spec.qps,
      durationMs: spec.durationMs,
      warmupMs: spec.warmupMs,
    });
    samples.push({
      atMs: Math.round(performance.now() - started),
      rssBytes: process.memoryUsage.rss(),
    });
    const toUs = (p: number): number => result.latency.percentile(p);
    const output: RunnerOutput = {
      requests: result.requests,
      errors: result.errors,
      durationMs: result.durationMs,
      achievedRate: result.achievedRate,
      latencyUs: { p50: toUs(50), p75: toUs(75), p99: toUs(99), max: result.latency.max },
      rssSamples: samples,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    if (result.dispatchLagMs !== undefined) output.dispatchLagMs = result.dispatchLagMs;
    return output;
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
}

try {
  const output = await runOnce(parseSpec(process.argv[2]));
  process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (error) {
  process.stderr.write(`iter8-runner: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
