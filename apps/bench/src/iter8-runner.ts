// Runs one iter8 load in its own process, so the harness can pin it to a core and measure its
// RSS. Usage: node dist/iter8-runner.js '<RunnerSpec JSON>'. Prints one RunnerOutput JSON line.
import { applyLoadProcessFlags, runLoad } from "@iter8/loadgen";
import type { LoadOptions } from "@iter8/loadgen";
import type { RssSample, RunnerOutput, RunnerSpec } from "./runner-protocol.js";

function parseSpec(arg: string | undefined): RunnerSpec {
  if (arg === undefined) throw new Error("usage: iter8-runner '<json spec>'");
  const spec = JSON.parse(arg) as RunnerSpec;
  if (typeof spec.url !== "string" || !(spec.connections > 0) || !(spec.durationMs > 0)) {
    throw new Error(`invalid runner spec: ${arg}`);
  }
  return spec;
}

async function runOnce(spec: RunnerSpec): Promise<RunnerOutput> {
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
    const options: LoadOptions = {
      url: spec.url,
      connections: spec.connections,
      qps: spec.qps,
      durationMs: spec.durationMs,
      warmupMs: spec.warmupMs,
      ...(spec.pacing ? { pacing: spec.pacing } : {}),
    };
    const result = await runLoad(options);
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
      serviceTimeUs: {
        p50: result.serviceTime.percentile(50),
        p99: result.serviceTime.percentile(99),
      },
      queueWaitUs: { p50: result.queueWait.percentile(50), p99: result.queueWait.percentile(99) },
      rssSamples: samples,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    if (result.dispatchLagMs !== undefined) output.dispatchLagMs = result.dispatchLagMs;
    return output;
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
}

// The same process-wide V8 flags as `iter8 run`, so the bench measures what users run.
applyLoadProcessFlags();
try {
  const output = await runOnce(parseSpec(process.argv[2]));
  process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (error) {
  process.stderr.write(`iter8-runner: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
