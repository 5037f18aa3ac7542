// A Node HTTP target for the bench, run as its own (pinned) process and driven over IPC.
// It answers "ok", counts request arrivals per millisecond since the last reset (so pacing is
// judged at the server, the same way for every generator), and in "stall" mode holds every
// response that arrives during the first 500 ms of each second until that 500 ms is over.
// Usage: node dist/servers/target-server.js ok|stall   (needs an IPC channel).
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BENCH_STALL } from "../co-analytic.js";
import type { TargetCommand, TargetEvent, TargetMode } from "./protocol.js";

const MAX_RECORD_MS = 10 * 60 * 1000;

function send(event: TargetEvent): void {
  process.send?.(event);
}

const mode = process.argv[2] as TargetMode | undefined;
if (mode !== "ok" && mode !== "stall") {
  process.stderr.write("usage: target-server ok|stall\n");
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

function answer(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
  res.end("ok");
}

// Stall schedule: cycles of periodMs from stallOrigin; the first stallMs of each is held. The
// origin is set `graceMs` after the first arrival following a reset, so a generator's warm-up
// meets a fast server and its cold start cannot leave a backlog that spills into the measurement.
const { periodMs, stallMs } = BENCH_STALL;
let graceMs = 0;
let stallOrigin: number | undefined;
let releaseTimer: NodeJS.Timeout | undefined;
let held: ServerResponse[] = [];

function isStalled(now: number): boolean {
  return (
    stallOrigin !== undefined && now >= stallOrigin && (now - stallOrigin) % periodMs < stallMs
  );
}

function releaseHeld(): void {
  const batch = held;
  held = [];
  for (const res of batch) answer(res);
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

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  recordArrival();
  req.resume();
  if (mode === "stall" && stallOrigin === undefined) {
    stallOrigin = performance.now() + graceMs;
    scheduleRelease(stallOrigin);
  }
  if (mode === "stall" && isStalled(performance.now())) held.push(res);
  else answer(res);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.maxRequestsPerSocket = 0;

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
