import { LatencyHistogram } from "@iter8/metrics";
import { describe, expect, it } from "vitest";
import { summariseLoad } from "./summarise.js";
import type { LoadResult } from "./types.js";

function resultWith(overrides: Partial<LoadResult>): LoadResult {
  const latency = new LatencyHistogram();
  for (const us of [1000, 2000, 3000]) latency.record(us);
  return {
    aborted: false,
    requests: 3,
    errors: 1,
    statusCodes: { "200": 2, "500": 1 },
    errorClasses: {},
    startTime: 0,
    durationMs: 1000,
    achievedRate: 3,
    latency,
    serviceTime: latency.clone(),
    queueWait: new LatencyHistogram(),
    warmupRequests: 0,
    timeline: [],
    ...overrides,
  };
}

describe("summariseLoad", () => {
  it("keeps status codes, error classes and the latency histogram buckets in ms", () => {
    const details = summariseLoad(resultWith({ errorClasses: { refused: 2 } }));
    expect(details.statusCodes).toEqual({ "200": 2, "500": 1 });
    expect(details.errorClasses).toEqual({ refused: 2 });
    expect(details.histogram.reduce((n, [, , c]) => n + c, 0)).toBe(3);
    expect(details.histogram[0]?.[0]).toBe(1);
    expect(details.partial).toBeUndefined();
    expect(details.timeline).toBeUndefined();
    expect(details.dispatchLagMs).toBeUndefined();
  });

  it("keeps the timeline, the dispatch lag and marks aborted runs partial", () => {
    const details = summariseLoad(
      resultWith({
        aborted: true,
        dispatchLagMs: { p50: 0.05, p99: 0.4, max: 2 },
        timeline: [
          { elapsedMs: 1000.4, sent: 3, completed: 3, errors: 1, rate: 2.987, p50Ms: 2, p99Ms: 3 },
        ],
      }),
    );
    expect(details.partial).toBe(true);
    expect(details.dispatchLagMs).toEqual({ p50: 0.05, p99: 0.4, max: 2 });
    expect(details.timeline).toEqual([
      { elapsedMs: 1000, completed: 3, errors: 1, rate: 3, p50Ms: 2, p99Ms: 3 },
    ]);
  });
});
