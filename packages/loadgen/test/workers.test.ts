import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { HTTP_CLIENTS, runLoadWith } from "./http-clients.js";
import type { LoadProgress } from "../src/index.js";
import { ensureBuilt } from "./ensure-built.js";
import { startServer } from "@iter8/test-utils";
import type { TestServer } from "@iter8/test-utils";

let server: TestServer | undefined;
let other: TestServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await Promise.all([server?.close(), other?.close()]);
  server = undefined;
  other = undefined;
});

const SLOW_MS = 400;

/**
 * A server that answers at once, except SLOW_MS late to the second hundred requests it receives:
 * at 100 qps, the requests due in the second second of the run. Counting requests rather than
 * reading its own clock keeps the slow second aligned with the run's schedule however late the
 * run starts or falls behind on a busy machine.
 */
function startSlowSecondServer(): Promise<TestServer> {
  return startServer((i, _req, res) => {
    if (i >= 100 && i < 200) setTimeout(() => res.end("ok"), SLOW_MS);
    else res.end("ok");
  });
}

/** Timeline samples that cover about a second (not the short last one a run may end with). */
function fullSeconds(timeline: LoadProgress[]): LoadProgress[] {
  return timeline.filter((s, i) => s.elapsedMs - (timeline[i - 1]?.elapsedMs ?? 0) >= 500);
}

describe.each(HTTP_CLIENTS)("runLoad with worker threads (%s)", (httpClient) => {
  const runLoad = runLoadWith(httpClient);

  it("splits an unpaced run exactly and merges the counts and histograms", async () => {
    const statuses = [200, 404];
    server = await startServer((i, _req, res) => {
      res.statusCode = statuses[i % 2] as number;
      res.end();
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 4,
      workers: 2,
      numRequests: 201,
      warmupMs: 0,
    });
    expect(result.requests).toBe(201);
    expect(server.seen).toHaveLength(201);
    expect((result.statusCodes["200"] ?? 0) + (result.statusCodes["404"] ?? 0)).toBe(201);
    expect(result.errors).toBe(result.statusCodes["404"]);
    expect(result.latency.count).toBe(201);
    expect(result.aborted).toBe(false);
  });

  it("interleaves a paced schedule over the workers and reports merged dispatch lag", async () => {
    server = await startServer();
    const progress: LoadProgress[] = [];
    const result = await runLoad(
      {
        url: server.url,
        qps: 200,
        connections: 3,
        workers: 3,
        numRequests: 100,
        warmupRequests: 9,
      },
      { onProgress: (p) => progress.push(p) },
    );
    expect(result.requests).toBe(100);
    expect(result.warmupRequests).toBe(9);
    expect(server.seen).toHaveLength(109);
    expect(result.queueWait.count).toBe(100);
    expect(result.dispatchLagMs).toBeDefined();
    expect(progress.length).toBeGreaterThan(0);
  });

  it("resolves with partial data when aborted", async () => {
    server = await startServer();
    const controller = new AbortController();
    const result = await runLoad(
      { url: server.url, qps: 40, connections: 2, workers: 2, numRequests: 100_000, warmupMs: 0 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.completed >= 4) controller.abort();
        },
      },
    );
    expect(result.aborted).toBe(true);
    expect(result.requests).toBeGreaterThanOrEqual(4);
    expect(result.requests).toBeLessThan(100_000);
    expect(result.latency.count).toBe(result.requests);
  });

  it("keeps a timeline with p50/p99 from both workers' merged latency, one sample a second as in one thread", async () => {
    [server, other] = await Promise.all([startSlowSecondServer(), startSlowSecondServer()]);
    // Three seconds of 100 qps. A count, not a 3 s duration: a duration run leaves out requests
    // still unsent 5 ms past its deadline, which a busy machine can delay them by. 64 connections
    // carry SLOW_MS answers at 100 qps (40 in flight) without queueing.
    const options = { qps: 100, connections: 64, numRequests: 300, warmupMs: 0 };
    const progress: LoadProgress[] = [];
    // The same run in one thread alongside, against its own server, for the cadence.
    const [result, single] = await Promise.all([
      runLoad({ ...options, url: server.url, workers: 2 }, { onProgress: (p) => progress.push(p) }),
      runLoad({ ...options, url: other.url }),
    ]);
    expect(result.requests).toBe(300);
    const timeline = result.timeline;
    // One sample per second of measuring, like the single-thread run (plus at most a short last one).
    expect(fullSeconds(timeline)).toHaveLength(3);
    expect(fullSeconds(single.timeline)).toHaveLength(3);
    expect(timeline.length).toBeLessThanOrEqual(4);
    timeline.forEach((s, i) => {
      expect(s.elapsedMs).toBeGreaterThan(timeline[i - 1]?.elapsedMs ?? 0);
      expect(s.p50Ms).toBeDefined();
      expect(s.p99Ms).toBeDefined();
      expect(s.p99Ms ?? 0).toBeGreaterThanOrEqual(s.p50Ms ?? Infinity);
    });
    expect(timeline.at(-1)?.completed).toBe(300);
    // Fast, slow (the server's SLOW_MS second), fast again. The slow second's latencies are at
    // least SLOW_MS (less 1 ms of timer granularity) whatever the load. The fast seconds' are
    // lower than the slow one's rather than under a fixed bound: on a busy machine a late
    // generator adds its lag to every latency (measured from the intended send time), and runs
    // under CPU burners saw fast seconds' p50 over 200 ms; SLOW_MS stays well above such lag.
    const [first, second, third] = fullSeconds(timeline);
    expect(second?.p50Ms).toBeGreaterThanOrEqual(SLOW_MS - 1);
    expect(second?.p99Ms).toBeGreaterThanOrEqual(SLOW_MS - 1);
    expect(first?.p50Ms).toBeLessThan(second?.p50Ms ?? 0);
    expect(third?.p50Ms).toBeLessThan(second?.p50Ms ?? 0);
    // Each sample was reported as progress too.
    expect(progress).toEqual(expect.arrayContaining(timeline));
  });
});
