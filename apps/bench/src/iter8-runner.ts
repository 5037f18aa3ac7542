// Runs one iter8 load in its own process, so the harness can pin it to a core and measure its
// RSS. Usage: node dist/iter8-runner.js '<RunnerSpec JSON>'. Prints one RunnerOutput JSON line.
import { applyLoadProcessFlags } from "@iter8/loadgen/runtime-flags";
import type { LoadOptions } from "@iter8/loadgen";
import { measureLoad } from "./runner-protocol.js";
import type { RunnerSpec } from "./runner-protocol.js";

function parseSpec(arg: string | undefined): RunnerSpec {
  if (arg === undefined) throw new Error("usage: iter8-runner '<json spec>'");
  const spec = JSON.parse(arg) as RunnerSpec;
  if (typeof spec.url !== "string" || !(spec.connections > 0) || !(spec.durationMs > 0)) {
    throw new Error(`invalid runner spec: ${arg}`);
  }
  return spec;
}

// The same process-wide V8 flags as `iter8 run`, set as early (before the load generator's
// modules load), so the bench measures what users run.
applyLoadProcessFlags();
const { runLoad } = await import("@iter8/loadgen");
try {
  const spec = parseSpec(process.argv[2]);
  const options: LoadOptions = {
    url: spec.url,
    connections: spec.connections,
    qps: spec.qps,
    durationMs: spec.durationMs,
    warmupMs: spec.warmupMs,
    ...(spec.pacing ? { pacing: spec.pacing } : {}),
    ...(spec.workers ? { workers: spec.workers } : {}),
  };
  const output = await measureLoad(() => runLoad(options), spec.rssSampleEveryMs);
  process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (error) {
  process.stderr.write(`iter8-runner: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
