import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../src/index.js";
import { ensureBuilt } from "./ensure-built.js";
import { startServer } from "@iter8/test-utils";
import type { TestServer } from "@iter8/test-utils";

let server: TestServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that answers at once and notes when (its clock, ms) each request arrived. */
async function startTimingServer(): Promise<{ server: TestServer; arrivals: number[] }> {
  const arrivals: number[] = [];
  const started = await startServer((_i, _req, res) => {
    arrivals.push(performance.now());
    res.end("ok");
  });
  return { server: started, arrivals };
}

/** When measuring started (`LoadResult.startTime`, epoch ms) on this thread's `performance.now()`. */
function measureStart(startTime: number): number {
  return startTime - performance.timeOrigin;
}

/** Requests that arrived in each whole second after `origin` (ms), for `seconds` seconds. */
function perSecond(arrivals: number[], origin: number, seconds: number): number[] {
  const counts = Array.from({ length: seconds }, () => 0);
  for (const at of arrivals) {
    const second = Math.floor((at - origin) / 1000);
    if (second >= 0 && second < seconds) counts[second] = (counts[second] ?? 0) + 1;
  }
  return counts;
}

// Arrivals near a second's edge may land in the next one on a busy machine: loose bounds.
const SLACK = 0.2;

describe("rate ramps against a real HTTP server", () => {
  it("steps the rate up 20, 40, 60 requests a second, then holds (exact count)", async () => {
    const timing = await startTimingServer();
    server = timing.server;
    const result = await runLoad({
      url: server.url,
      qps: 0,
      schedule: { kind: "step", start: 20, step: 20, stepDurationMs: 1000, end: 60 },
      connections: 8,
      // 20 + 40 + 60 in the ramp's three seconds, then 30 at 60/s.
      numRequests: 150,
      // A second at 20/s before the ramp: a busy machine starts late and catches up in it.
      warmupMs: 1000,
    });
    expect(result.requests).toBe(150);
    expect(result.warmupRequests).toBe(20);
    expect(timing.arrivals).toHaveLength(170);
    const sorted = [...timing.arrivals].sort((a, b) => a - b);
    const counts = perSecond(sorted.slice(20), measureStart(result.startTime), 3);
    [20, 40, 60].forEach((expected, second) => {
      expect(counts[second]).toBeGreaterThanOrEqual(expected * (1 - SLACK));
      expect(counts[second]).toBeLessThanOrEqual(expected * (1 + SLACK));
    });
    // The measured window is the schedule's: 3.5 s (plus the last response).
    expect(result.durationMs).toBeGreaterThanOrEqual(3500);
    expect(result.durationMs).toBeLessThan(4500);
  });

  it("ramps a line down from 90/s to 30/s over a second, shared by two workers", async () => {
    const timing = await startTimingServer();
    server = timing.server;
    const result = await runLoad({
      url: server.url,
      qps: 500,
      schedule: { kind: "line", start: 90, step: -60, end: 30 },
      connections: 4,
      workers: 2,
      // ∫(90 - 60t) over the first second is 60; then 30 a second.
      numRequests: 90,
      // The warm-up runs at the start rate, 90/s, for a second; then the ramp starts.
      warmupMs: 1000,
    });
    expect(result.requests).toBe(90);
    expect(result.warmupRequests).toBe(90);
    expect(timing.arrivals).toHaveLength(180);
    const sorted = [...timing.arrivals].sort((a, b) => a - b);
    const counts = perSecond(sorted.slice(90), measureStart(result.startTime), 2);
    expect(counts[0]).toBeGreaterThanOrEqual(60 * (1 - SLACK));
    expect(counts[0]).toBeLessThanOrEqual(60 * (1 + SLACK));
    expect(counts[1]).toBeGreaterThanOrEqual(30 * (1 - SLACK));
    expect(counts[1]).toBeLessThanOrEqual(30 * (1 + SLACK));
    // Latency is from the intended send time: it cannot be below the service time.
    expect(result.latency.count).toBe(90);
    expect(result.latency.max).toBeGreaterThanOrEqual(result.serviceTime.min);
  });
});
