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
    // The same run in one thread alongside, against its own server, for comparison.
    const [result, single] = await Promise.all([
      runLoad({ ...options, url: server.url, workers: 2 }, { onProgress: (p) => progress.push(p) }),
      runLoad({ ...options, url: other.url }),
    ]);
    expect(result.requests).toBe(300);
    expect(single.requests).toBe(300);
    // Counts, not second boundaries: where the samples fall depends on how late a busy machine
    // runs the progress timer, but every request is in exactly one sample, and the workers'
    // k-th samples merge into one (a timeline with a sample per worker per second would have
    // about twice as many samples as seconds).
    for (const run of [result, single]) {
      const timeline = run.timeline;
      const last = timeline.at(-1);
      expect(last?.completed).toBe(300);
      expect(timeline.length).toBeGreaterThanOrEqual(2);
      expect(timeline.length).toBeLessThanOrEqual(Math.floor((last?.elapsedMs ?? 0) / 1000) + 1);
      timeline.forEach((s, i) => {
        expect(s.elapsedMs).toBeGreaterThan(timeline[i - 1]?.elapsedMs ?? 0);
        expect(s.completed).toBeGreaterThan(timeline[i - 1]?.completed ?? 0);
        expect(s.p50Ms).toBeDefined();
        expect(s.p99Ms).toBeDefined();
        expect(s.p99Ms ?? 0).toBeGreaterThanOrEqual(s.p50Ms ?? Infinity);
      });
      // The 100 slow answers (at least SLOW_MS, less 1 ms of timer granularity, whatever the
      // load) show in the merged samples and in the merged service times: at least a third of
      // the 300 are that slow. Nothing is asserted of the fast ones' times: on a loaded machine
      // (load average 40) the servers, in this thread, answered them in up to 390 ms at p50.
      expect(Math.max(...timeline.map((s) => s.p99Ms ?? 0))).toBeGreaterThanOrEqual(SLOW_MS - 1);
      expect(run.serviceTime.count).toBe(300);
      expect(run.serviceTime.percentile(67) / 1000).toBeGreaterThanOrEqual(SLOW_MS - 1);
    }
    // Each sample was reported as progress too.
    expect(progress).toEqual(expect.arrayContaining(result.timeline));
  });
});
