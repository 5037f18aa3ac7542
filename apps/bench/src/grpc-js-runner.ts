// The Node baseline of the gRPC scenarios: a plain @grpc/grpc-js client loop as users write one
// (proto-loader, the generated client's unary method with a callback). `concurrency` calls are kept
// in flight, spread over `connections` clients (each on its own connection), and each completion
// sends the next. Usage: node dist/grpc-js-runner.js '<GrpcRunnerSpec JSON>'. Prints one
// BaselineOutput JSON line.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { LatencyHistogram } from "@iter8/metrics";
import { parseGrpcRunnerSpec } from "./runner-protocol.js";
import type { BaselineOutput, GrpcRunnerSpec } from "./runner-protocol.js";

/** The deadline of every call, as ghz's default timeout. */
const DEADLINE_MS = 20_000;

type UnaryMethod = (
  request: Record<string, unknown>,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null) => void,
) => grpc.ClientUnaryCall;

function clientConstructor(spec: GrpcRunnerSpec): {
  Client: grpc.ServiceClientConstructor;
  method: string;
} {
  const [servicePath = "", method = ""] = spec.call.split("/");
  const definition = protoLoader.loadSync(spec.proto, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of servicePath.split(".")) node = (node as Record<string, unknown>)[part];
  if (typeof node !== "function") throw new Error(`no service ${servicePath} in ${spec.proto}`);
  return { Client: node as grpc.ServiceClientConstructor, method };
}

function run(spec: GrpcRunnerSpec): Promise<BaselineOutput> {
  if (spec.qps > 0) throw new Error("grpc-js-runner cannot pace: qps must be 0");
  const { Client, method } = clientConstructor(spec);
  const clients = Array.from(
    { length: spec.connections },
    // A local subchannel pool per client: separate connections, not grpc-js's shared one.
    () =>
      new Client(spec.host, grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  const calls = clients.map((c) => {
    const m = (c as unknown as Record<string, UnaryMethod>)[method];
    if (typeof m !== "function") throw new Error(`no method ${method} on ${spec.call}`);
    return m.bind(c);
  });
  const latency = new LatencyHistogram();
  let measuring = false;
  let sending = true;
  let requests = 0;
  let errors = 0;
  let inFlight = 0;
  let measureStart = 0;
  let lastDone = 0;
  return new Promise((resolve) => {
    const finish = (): void => {
      for (const c of clients) c.close();
      const durationMs = Math.max(lastDone, measureStart + spec.durationMs) - measureStart;
      resolve({
        requests,
        errors,
        durationMs,
        achievedRate: durationMs > 0 ? (requests * 1000) / durationMs : 0,
        latencyUs: {
          p50: latency.percentile(50),
          p75: latency.percentile(75),
          p99: latency.percentile(99),
          max: latency.max,
        },
        maxRssKb: process.resourceUsage().maxRSS,
      });
    };
    const fire = (call: UnaryMethod): void => {
      inFlight += 1;
      const counted = measuring;
      const started = performance.now();
      call(spec.data, { deadline: Date.now() + DEADLINE_MS }, (error) => {
        inFlight -= 1;
        const now = performance.now();
        if (counted) {
          requests += 1;
          lastDone = now;
          if (error) errors += 1;
          else latency.record(Math.max(1, Math.round((now - started) * 1000)));
        }
        if (sending) fire(call);
        else if (inFlight === 0) finish();
      });
    };
    const startMeasuring = (): void => {
      measuring = true;
      measureStart = performance.now();
      setTimeout(() => {
        sending = false;
        if (inFlight === 0) finish();
      }, spec.durationMs);
    };
    if (spec.warmupMs > 0) setTimeout(startMeasuring, spec.warmupMs);
    else startMeasuring();
    for (let i = 0; i < spec.concurrency; i++) fire(calls[i % calls.length] as UnaryMethod);
  });
}

try {
  const output = await run(parseGrpcRunnerSpec(process.argv[2], "grpc-js-runner"));
  process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (error) {
  process.stderr.write(`grpc-js-runner: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
