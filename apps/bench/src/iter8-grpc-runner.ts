// Runs one iter8 gRPC load (`runGrpcLoad`) in its own process, so the harness can pin it to a core
// and measure its CPU and RSS. Usage: node dist/iter8-grpc-runner.js '<GrpcRunnerSpec JSON>'.
// Prints one RunnerOutput JSON line.
import { applyLoadProcessFlags } from "@iter8/loadgen/runtime-flags";
import type { GrpcLoadOptions } from "@iter8/grpc";
import { measureLoad, parseGrpcRunnerSpec } from "./runner-protocol.js";

// The same process-wide V8 flags as `iter8 run`, set as early (before the load generator's
// modules load), so the bench measures what users run.
applyLoadProcessFlags();
const { runGrpcLoad } = await import("@iter8/grpc");
try {
  const spec = parseGrpcRunnerSpec(process.argv[2], "iter8-grpc-runner");
  const options: GrpcLoadOptions = {
    host: spec.host,
    call: spec.call,
    proto: spec.proto,
    data: spec.data,
    connections: spec.connections,
    concurrency: spec.concurrency,
    qps: spec.qps,
    durationMs: spec.durationMs,
    warmupMs: spec.warmupMs,
    ...(spec.pacing ? { pacing: spec.pacing } : {}),
  };
  const output = await measureLoad(() => runGrpcLoad(options), spec.rssSampleEveryMs);
  process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (error) {
  process.stderr.write(`iter8-grpc-runner: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
