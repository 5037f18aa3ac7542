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

/**
 * How much earlier than due (ms) the server may note a request: its stamps and the engine's schedule
 * are both this process's monotonic clock, mapped through `performance.timeOrigin`.
 */
const CLOCK_SLACK_MS = 10;

/**
 * How much later (ms) than its due time plus the run's largest latency the server may note a
 * request: requests sent close together on different connections (or by the two workers) can be
 * noted in either order, and a paused server thread notes a whole batch at once.
 */
const ORDER_SLACK_MS = 250;

/**
 * Checks the arrivals against the schedule the test expects (`dueMs`: every request of the run, the
 * first `warmup` of them the warm-up, in ms from when measuring started) with bounds that hold on a
 * machine of any load:
 *   - no request arrives before it is due, so the k-th arrival is no earlier than the k-th due time;
 *   - a measured request arrives before its response, which came within the run's largest latency
 *     of its due time (paced latency is measured from the intended send time); requests leave in due
 *     order, so the k-th arrival is no later than the k-th due time plus that latency (and
 *     `ORDER_SLACK_MS`: the warm-up's own latencies are not measured).
 * A pacer that sends faster than the schedule fails the first; one that sends slower, or keeps a
 * schedule of its own, fails the second, since its latencies from its own send times stay small.
 */
function expectArrivalsFollow(
  arrivals: number[],
  origin: number,
  dueMs: number[],
  warmup: number,
  maxLatencyMs: number,
): void {
  const sorted = arrivals.map((at) => at - origin).sort((a, b) => a - b);
  expect(sorted).toHaveLength(dueMs.length);
  const early = sorted.findIndex((at, k) => at < (dueMs[k] ?? Number.NaN) - CLOCK_SLACK_MS);
  expect(early, `arrival ${early} at ${sorted[early]} ms, due ${dueMs[early]} ms`).toBe(-1);
  const late = sorted.findIndex(
    (at, k) => k >= warmup && at > (dueMs[k] ?? Number.NaN) + maxLatencyMs + ORDER_SLACK_MS,
  );
  expect(
    late,
    `arrival ${late} at ${sorted[late]} ms, due ${dueMs[late]} ms, largest latency ${maxLatencyMs} ms`,
  ).toBe(-1);
}

/** Due times (ms from the start of measuring) of `count` requests at `rate`/s from `fromMs`. */
function constantRate(count: number, rate: number, fromMs: number): number[] {
  return Array.from({ length: count }, (_, j) => fromMs + (1000 * j) / rate);
}

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
    const due = [
      ...constantRate(20, 20, -1000),
      ...constantRate(20, 20, 0),
      ...constantRate(40, 40, 1000),
      ...constantRate(60, 60, 2000),
      ...constantRate(30, 60, 3000),
    ];
    const maxLatencyMs = result.latency.max / 1000;
    expectArrivalsFollow(timing.arrivals, measureStart(result.startTime), due, 20, maxLatencyMs);
    // The measured window is the schedule's, 3.5 s, extended by responses still due at its end.
    expect(result.durationMs).toBeGreaterThanOrEqual(3500);
    expect(result.durationMs).toBeLessThanOrEqual(3500 + maxLatencyMs + CLOCK_SLACK_MS);
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
    // Measured request m of the ramp is due when 90t - 30t² reaches m, then 30 a second.
    const ramp = Array.from(
      { length: 60 },
      (_, m) => (1000 * (90 - Math.sqrt(8100 - 120 * m))) / 60,
    );
    const due = [...constantRate(90, 90, -1000), ...ramp, ...constantRate(30, 30, 1000)];
    const maxLatencyMs = result.latency.max / 1000;
    expectArrivalsFollow(timing.arrivals, measureStart(result.startTime), due, 90, maxLatencyMs);
    // Latency is from the intended send time: it cannot be below the service time.
    expect(result.latency.count).toBe(90);
    expect(result.latency.max).toBeGreaterThanOrEqual(result.serviceTime.min);
  });
});
