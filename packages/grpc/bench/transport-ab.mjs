/* global process, console, URL, Buffer, setTimeout */
// CPU per unary call of the gRPC transport, A/B: this package's own HTTP/2 client ("h2") against
// node:http2, on @iter8/loadgen's engine (unpaced), alternating in the same minute. The target is
// nginx over h2c answering a canned HelloReply (as apps/bench's grpc scenarios), else the
// grpc-js Greeter in a child process. Only this process's CPU (user + sys) is counted.
// Usage (after `pnpm build`): node bench/transport-ab.mjs [calls=40000] [lanes=50] [rounds=3] [only]
// (`only`: h2 or node:http2, to profile one client alone, e.g. with --cpu-prof)
import { spawn, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoad } from "@iter8/loadgen";
import protobuf from "protobufjs";

const calls = Number(process.argv[2] ?? 40000);
const lanes = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 3);
const clients = process.argv[5] ? [process.argv[5]] : ["h2", "node:http2"];
const root = protobuf.parse(`syntax = "proto3"; package helloworld;
message HelloRequest { string name = 1; } message HelloReply { string message = 1; }`).root;
const request = root.lookupType("helloworld.HelloRequest").encode({ name: "bench" }).finish();
const reply = root.lookupType("helloworld.HelloReply").encode({ message: "Hello bench" }).finish();

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function startTarget() {
  let nginx;
  try {
    nginx = execFileSync("sh", ["-c", "command -v nginx || ls /usr/sbin/nginx"]).toString().trim();
  } catch {
    nginx = undefined;
  }
  if (nginx) {
    const prefix = mkdtempSync(join(tmpdir(), "grpc-ab-nginx-"));
    // nginx's worker may run as another user: it must read the reply file.
    chmodSync(prefix, 0o755);
    mkdirSync(join(prefix, "www"));
    mkdirSync(join(prefix, "tmp"));
    const framed = Buffer.alloc(5 + reply.length);
    framed.writeUInt32BE(reply.length, 1);
    framed.set(reply, 5);
    writeFileSync(join(prefix, "www", "reply.grpc"), framed);
    const port = await freePort();
    writeFileSync(
      join(prefix, "nginx.conf"),
      `worker_processes 1; error_log ${prefix}/error.log warn; pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${prefix}/tmp; keepalive_requests 100000000;
  http2_max_concurrent_streams 1024;
  server { listen 127.0.0.1:${port} http2;
    location / { root ${prefix}/www; types { } default_type application/grpc;
      try_files /reply.grpc =404; error_page 405 =200 $uri; add_trailer grpc-status 0; } } }
`,
    );
    const child = spawn(
      nginx,
      ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-g", "daemon off;"],
      {
        stdio: "inherit",
      },
    );
    await waitForPort(port);
    return {
      name: "nginx h2c",
      port,
      stop: () => {
        child.kill("SIGQUIT");
        rmSync(prefix, { recursive: true, force: true });
      },
    };
  }
  const child = spawn(
    process.execPath,
    [new URL("./greeter-server.mjs", import.meta.url).pathname],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise((resolve) =>
    child.stdout.once("data", (d) => resolve(Number(String(d).trim()))),
  );
  return { name: "grpc-js Greeter", port, stop: () => child.kill() };
}

const target = await startTarget();
const transportModule = new URL("../dist/grpc-transport.js", import.meta.url).href;

function options(client) {
  return {
    origin: `http://127.0.0.1:${target.port}`,
    authority: `127.0.0.1:${target.port}`,
    path: "/helloworld.Greeter/SayHello",
    kind: "unary",
    connections: 1,
    timeoutMs: 20000,
    connectTimeoutMs: 10000,
    keepaliveMs: undefined,
    tls: undefined,
    messages: { kind: "encoded", messages: [request] },
    metadata: { entries: [], templated: false },
    call: {
      FullyQualifiedName: "helloworld.Greeter.SayHello",
      MethodName: "SayHello",
      ServiceName: "Greeter",
      InputName: "HelloRequest",
      OutputName: "HelloReply",
      IsClientStreaming: false,
      IsServerStreaming: false,
    },
    streamIntervalMs: 0,
    streamCallCount: 0,
    streamCallDurationMs: 0,
    unaryClient: client,
  };
}

async function measure(client, n) {
  const cpu0 = process.cpuUsage();
  const result = await runLoad({
    url: `http://127.0.0.1:${target.port}/helloworld.Greeter/SayHello`,
    qps: 0,
    connections: lanes,
    numRequests: n,
    warmupMs: 0,
    errorRanges: [{ lower: 1 }],
    transport: { module: transportModule, options: options(client) },
  });
  const cpu = process.cpuUsage(cpu0);
  if (result.errors > 0)
    throw new Error(
      `${client}: ${result.errors} errors: ${JSON.stringify([result.statusCodes, result.errorClasses])}`,
    );
  return {
    us: (cpu.user + cpu.system) / n,
    rate: result.requests / (result.durationMs / 1000),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figures = { h2: [], "node:http2": [] };
try {
  // Warm-up of both paths, then alternate (order flipped every round).
  for (const client of clients) await measure(client, Math.min(5000, calls));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? clients : [...clients].reverse();
    for (const client of order) figures[client].push(await measure(client, calls));
  }
} finally {
  target.stop();
}
console.log(
  `target: ${target.name}; ${calls} calls x ${rounds} rounds, ${lanes} lanes, 1 connection`,
);
for (const client of clients) {
  const us = figures[client].map((f) => f.us);
  const rate = figures[client].map((f) => f.rate);
  console.log(
    `${client.padEnd(10)} CPU µs/call ${us.map((x) => x.toFixed(1)).join(" ")} (median ${median(us).toFixed(1)}); calls/s median ${Math.round(median(rate))}`,
  );
}
if (clients.length === 2) {
  const ratio =
    median(figures["node:http2"].map((f) => f.us)) / median(figures.h2.map((f) => f.us));
  console.log(`node:http2 / h2 CPU per call: ${ratio.toFixed(2)}x`);
}
