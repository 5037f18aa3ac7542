#!/usr/bin/env node
// Bytes allocated per request or call of a paced load, garbage included: V8's sampling heap
// profiler (through the inspector) with the objects that minor and major collections freed, so
// short-lived garbage (what drives scavenges) is counted, not only what survives. Prints the bytes
// per request and the call stacks (last four frames) that allocate most. The load runs in this
// process, with the same V8 flags as `iter8 run`.
//
// Start the demo app first (`iter8 demo-app`: HTTP on 8080, gRPC on 50051), then
//   pnpm build && node scripts/alloc-per-call.mjs http|grpc [--qps N] [--seconds S] [--top N]
import { Session } from "node:inspector/promises";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (pkg, file) => pathToFileURL(join(root, "packages", pkg, "dist", file)).href;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    qps: { type: "string", default: "1000" },
    seconds: { type: "string", default: "5" },
    top: { type: "string", default: "15" },
  },
});
const kind = positionals[0];
if (kind !== "http" && kind !== "grpc") {
  process.stderr.write(
    "usage: node scripts/alloc-per-call.mjs http|grpc [--qps N] [--seconds S] [--top N]\n",
  );
  process.exit(2);
}
const { applyLoadProcessFlags } = await import(dist("loadgen", "runtime-flags.js"));
applyLoadProcessFlags();
const qps = Number(values.qps);
const durationMs = Number(values.seconds) * 1000;
const warmupMs = 1000;
let run;
if (kind === "grpc") {
  const { runGrpcLoad } = await import(dist("grpc", "index.js"));
  const proto = join(root, "packages", "demo-app", "proto", "greeter.proto");
  run = () =>
    runGrpcLoad({
      host: "127.0.0.1:50051",
      call: "helloworld.Greeter.SayHello",
      proto,
      data: { name: "alloc" },
      connections: 1,
      concurrency: 50,
      qps,
      durationMs,
      warmupMs,
    });
} else {
  const { runLoad } = await import(dist("loadgen", "index.js"));
  run = () =>
    runLoad({ url: "http://127.0.0.1:8080/", connections: 10, qps, durationMs, warmupMs });
}

const session = new Session();
session.connect();
await session.post("HeapProfiler.enable");
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 512,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const result = await run();
const { profile } = await session.post("HeapProfiler.stopSampling");
session.disconnect();

// Warm-up requests allocate too: divide by all that were sent.
const sent = result.requests + Math.round((qps * warmupMs) / 1000);
const frame = (f) =>
  `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
const bytesByStack = new Map();
let total = 0;
const walk = (node, stack) => {
  const here = [...stack, frame(node.callFrame)];
  const key = here.slice(-4).join(" > ");
  bytesByStack.set(key, (bytesByStack.get(key) ?? 0) + node.selfSize);
  total += node.selfSize;
  for (const child of node.children) walk(child, here);
};
walk(profile.head, []);
process.stdout.write(
  `${kind} at ${qps}/s: ${result.requests} measured of ${sent} sent; ${Math.round(total / sent)} bytes allocated per request\n`,
);
for (const [stack, bytes] of [...bytesByStack]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(values.top))) {
  process.stdout.write(`${String(Math.round(bytes / sent)).padStart(6)}  ${stack}\n`);
}
