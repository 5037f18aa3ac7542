/* global process, console, URL, Buffer, performance */
// CPU per unary call: a plain @grpc/grpc-js client loop, a bare unary call on node:http2, and
// runGrpcLoad (this package's transport on @iter8/loadgen's engine, unpaced).
// Usage (after `pnpm build`): node bench/unary-cpu.mjs [calls=20000] [concurrency=16]
// The server (grpc-js) runs in a child process, so only the client's CPU is measured.
import { spawn } from "node:child_process";
import http2 from "node:http2";
import grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { runGrpcLoad } from "../dist/index.js";

const calls = Number(process.argv[2] ?? 20000);
const concurrency = Number(process.argv[3] ?? 16);
const root = protobuf.parse(`syntax = "proto3"; package helloworld;
message HelloRequest { string name = 1; } message HelloReply { string message = 1; }`).root;
const Req = root.lookupType("helloworld.HelloRequest");
const Rep = root.lookupType("helloworld.HelloReply");

const server = spawn(
  process.execPath,
  [new URL("./greeter-server.mjs", import.meta.url).pathname],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const port = await new Promise((resolve) =>
  server.stdout.once("data", (d) => resolve(Number(String(d).trim()))),
);

async function measure(name, start) {
  // Warm up, then measure.
  await start(Math.min(2000, calls));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await start(calls);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const us = (cpu.user + cpu.system) / calls;
  console.log(
    `${name}: ${calls} calls, ${us.toFixed(1)} µs CPU/call, ${Math.round((calls * 1000) / wall)} calls/s`,
  );
}

function loop(n, one) {
  return new Promise((resolve, reject) => {
    let sent = 0,
      done = 0;
    const next = () => {
      if (sent >= n) return;
      sent++;
      one((err) => {
        if (err) return reject(err);
        if (++done === n) resolve();
        else next();
      });
    };
    for (let i = 0; i < concurrency; i++) next();
  });
}

// 1. grpc-js client.
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const serialize = (m) => Buffer.from(Req.encode(m).finish());
const deserialize = (b) => Rep.decode(b);
await measure("grpc-js", (n) =>
  loop(n, (cb) =>
    client.makeUnaryRequest(
      "/helloworld.Greeter/SayHello",
      serialize,
      deserialize,
      { name: "bench" },
      (err) => cb(err),
    ),
  ),
);
client.close();

// 2. node:http2: 5-byte prefix framing, te: trailers, grpc-status from trailers (or Trailers-Only headers).
const session = http2.connect(`http://127.0.0.1:${port}`);
const msg = Req.encode({ name: "bench" }).finish();
const frame = Buffer.alloc(5 + msg.length);
frame.writeUInt32BE(msg.length, 1);
frame.set(msg, 5);
const headers = {
  ":method": "POST",
  ":path": "/helloworld.Greeter/SayHello",
  "content-type": "application/grpc",
  te: "trailers",
};
await measure("node:http2", (n) =>
  loop(n, (cb) => {
    const stream = session.request(headers, { endStream: false });
    let status;
    stream.on("response", (h) => {
      if (h["grpc-status"] !== undefined) status = h["grpc-status"];
    });
    stream.on("trailers", (t) => {
      status = t["grpc-status"];
    });
    stream.on("data", () => {});
    stream.on("close", () => cb(status === "0" ? undefined : new Error(`status ${status}`)));
    stream.end(frame);
  }),
);
session.close();

// 3. runGrpcLoad: the engine, lanes and histograms included (its setup, a proto parse, too).
await measure("runGrpcLoad", async (n) => {
  const result = await runGrpcLoad({
    host: `127.0.0.1:${port}`,
    call: "helloworld.Greeter.SayHello",
    proto: new URL("../test/protos/greeter.proto", import.meta.url).pathname,
    data: { name: "bench" },
    numRequests: n,
    qps: 0,
    concurrency,
    warmupMs: 0,
  });
  if (result.errors > 0) throw new Error(`${result.errors} errors`);
});
server.kill();
