// A Node target for the bench, run as its own (pinned) process and driven over IPC. Over HTTP/1.1
// it answers "ok"; over gRPC (h2c, node:http2) it answers helloworld.Greeter/SayHello with a
// canned HelloReply and grpc-status 0. Either way it counts request arrivals per millisecond since
// the last reset (so pacing is judged at the server, the same way for every generator), and in
// "stall" mode holds every response that arrives during the first 500 ms of each second until
// that 500 ms is over.
// Usage: node dist/servers/target-server.js ok|stall [http|grpc]   (needs an IPC channel).
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createH2cServer } from "node:http2";
import type { Server } from "node:net";
import type { ServerHttp2Stream } from "node:http2";
import { BENCH_STALL } from "../co-analytic.js";
import { BENCH_REPLY, encodeHelloMessage, frameGrpcMessage } from "../grpc-wire.js";
import type { TargetCommand, TargetEvent, TargetMode, TargetProtocol } from "./protocol.js";

const MAX_RECORD_MS = 10 * 60 * 1000;

function send(event: TargetEvent): void {
  process.send?.(event);
}

const mode = process.argv[2] as TargetMode | undefined;
const protocol = (process.argv[3] ?? "http") as TargetProtocol;
if ((mode !== "ok" && mode !== "stall") || (protocol !== "http" && protocol !== "grpc")) {
  process.stderr.write("usage: target-server ok|stall [http|grpc]\n");
  process.exit(2);
}
if (process.send === undefined) {
  process.stderr.write("target-server needs an IPC channel (spawn it with stdio 'ipc')\n");
  process.exit(2);
}

let origin = performance.now();
let counts = new Uint32Array(MAX_RECORD_MS);
let lastIndex = -1;

function recordArrival(): void {
  const i = Math.floor(performance.now() - origin);
  if (i >= 0 && i < MAX_RECORD_MS) {
    counts[i] = (counts[i] as number) + 1;
    if (i > lastIndex) lastIndex = i;
  }
}

function answerHttp(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
  res.end("ok");
}

const GRPC_REPLY = Buffer.from(frameGrpcMessage(encodeHelloMessage(BENCH_REPLY)));

function answerGrpc(stream: ServerHttp2Stream): void {
  // The client may have given up (deadline, cancel) while the answer was held.
  if (stream.closed || stream.destroyed) return;
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(GRPC_REPLY);
}

// Stall schedule: cycles of periodMs from stallOrigin; the first stallMs of each is held. The
// origin is set `graceMs` after the first arrival following a reset, so a generator's warm-up
// meets a fast server and its cold start cannot leave a backlog that spills into the measurement.
const { periodMs, stallMs } = BENCH_STALL;
let graceMs = 0;
let stallOrigin: number | undefined;
let releaseTimer: NodeJS.Timeout | undefined;
let held: (() => void)[] = [];

function isStalled(now: number): boolean {
  return (
    stallOrigin !== undefined && now >= stallOrigin && (now - stallOrigin) % periodMs < stallMs
  );
}

function releaseHeld(): void {
  const batch = held;
  held = [];
  for (const answer of batch) answer();
}

function scheduleRelease(origin: number): void {
  const now = performance.now();
  const cycles = Math.max(0, Math.floor((now - origin) / periodMs));
  let releaseAt = origin + cycles * periodMs + stallMs;
  if (releaseAt <= now) releaseAt += periodMs;
  releaseTimer = setTimeout(() => {
    releaseHeld();
    scheduleRelease(origin);
  }, releaseAt - now);
}

/** Counts the arrival, then answers now or, in a stall, when the stall ends. */
function arrive(answer: () => void): void {
  recordArrival();
  if (mode === "stall" && stallOrigin === undefined) {
    stallOrigin = performance.now() + graceMs;
    scheduleRelease(stallOrigin);
  }
  if (mode === "stall" && isStalled(performance.now())) held.push(answer);
  else answer();
}

function startHttp(): Server {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    arrive(() => answerHttp(res));
  });
  http.keepAliveTimeout = 120_000;
  http.headersTimeout = 130_000;
  http.maxRequestsPerSocket = 0;
  return http;
}

function startGrpc(): Server {
  const h2c = createH2cServer();
  h2c.on("stream", (stream: ServerHttp2Stream) => {
    // Every call gets the same reply; the request message is read and dropped.
    stream.resume();
    stream.on("error", () => undefined);
    arrive(() => answerGrpc(stream));
  });
  // No idle timeout: a paced run may leave a connection quiet for a while.
  h2c.setTimeout(0);
  return h2c;
}

const server = protocol === "grpc" ? startGrpc() : startHttp();

process.on("message", (message: TargetCommand) => {
  if (message.type === "reset") {
    clearTimeout(releaseTimer);
    releaseHeld();
    stallOrigin = undefined;
    graceMs = message.graceMs;
    counts = new Uint32Array(MAX_RECORD_MS);
    lastIndex = -1;
    origin = performance.now();
    send({ type: "reset-done" });
  } else if (message.type === "arrivals") {
    send({ type: "arrivals", msCounts: Array.from(counts.subarray(0, lastIndex + 1)) });
  }
});
process.on("disconnect", () => process.exit(0));

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") process.exit(1);
  send({ type: "listening", port: address.port });
});
