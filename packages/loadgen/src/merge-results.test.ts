import { LatencyHistogram } from "@iter8/metrics";
import { describe, expect, it } from "vitest";
import { mergeLoadResults } from "./merge-results.js";
import type { LoadResultPart } from "./merge-results.js";
import type { LoadProgress, LoadResult } from "./types.js";

function histogramOf(values: readonly number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const v of values) histogram.record(v);
  return histogram;
}

/** A run that measured `latenciesUs` (all 200s) in one-second samples of `perSecond`. */
function part(
  latenciesUs: readonly number[],
  startTime: number,
  perSecond: number,
): LoadResultPart {
  const timeline: LoadProgress[] = [];
  const intervals: LatencyHistogram[] = [];
  for (let i = 0; i < latenciesUs.length; i += perSecond) {
    const slice = latenciesUs.slice(i, i + perSecond);
    const interval = histogramOf(slice);
    const completed = i + slice.length;
    timeline.push({
      elapsedMs: (timeline.length + 1) * 1000,
      sent: completed,
      completed,
      errors: 0,
      rate: slice.length,
      phase: "measure",
      p50Ms: interval.percentile(50) / 1000,
      p99Ms: interval.percentile(99) / 1000,
    });
    intervals.push(interval);
  }
  const durationMs = timeline.length * 1000;
  const result: LoadResult = {
    aborted: false,
    requests: latenciesUs.length,
    errors: 0,
    statusCodes: { "200": latenciesUs.length },
    errorClasses: {},
    startTime,
    durationMs,
    achievedRate: (latenciesUs.length * 1000) / durationMs,
    latency: histogramOf(latenciesUs),
    serviceTime: histogramOf(latenciesUs),
    queueWait: new LatencyHistogram(),
    warmupRequests: 10,
    timeline,
  };
  return { result, intervals };
}

describe("mergeLoadResults", () => {
  it("gives the p99 of all requests, not the mean of the parts' p99s (the issue's counterexample)", () => {
    const a = part(new Array<number>(10_000).fill(1000), 1_000_000, 1000);
    const b = part(
      [...new Array<number>(9800).fill(1000), ...new Array<number>(200).fill(100_000)],
      1_000_003,
      1000,
    );
    const meanOfP99s = (a.result.latency.percentile(99) + b.result.latency.percentile(99)) / 2;
    expect(meanOfP99s / 1000).toBeCloseTo(50.5, 1);

    const merged = mergeLoadResults([a, b]);
    const [low, high] = LatencyHistogram.equivalentRange(1000);
    const p99 = merged.latency.percentile(99);
    expect(p99).toBeGreaterThanOrEqual(low);
    expect(p99).toBeLessThanOrEqual(high);
    expect(merged.requests).toBe(20_000);
    expect(merged.statusCodes).toEqual({ "200": 20_000 });
    expect(merged.warmupRequests).toBe(20);
  });

  it("merges histograms into one equal to a histogram of the union of the samples", () => {
    let x = 7;
    const random = (): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    const samples = [0, 1, 2, 3].map((k) =>
      Array.from({ length: 3000 + k * 77 }, () => 200 + random() ** 3 * (50_000 * (k + 1))),
    );
    const merged = mergeLoadResults(samples.map((s, k) => part(s, 5_000 + k * 10, 500)));
    const union = histogramOf(samples.flat());
    expect(merged.latency.count).toBe(union.count);
    for (const p of [0, 10, 50, 75, 90, 95, 99, 99.9, 100]) {
      expect(merged.latency.percentile(p)).toBe(union.percentile(p));
    }
    expect(merged.latency.buckets(50)).toEqual(union.buckets(50));
    expect(merged.latency.mean).toBeCloseTo(union.mean, 6);
    expect(merged.latency.stddev).toBeCloseTo(union.stddev, 6);
  });

  it("spans the earliest start to the latest end and merges the timelines second by second", () => {
    const a = part(new Array<number>(300).fill(1000), 10_000, 100);
    const b = part(new Array<number>(300).fill(3000), 10_050, 100);
    const merged = mergeLoadResults([a, b]);
    expect(merged.startTime).toBe(10_000);
    expect(merged.durationMs).toBe(3050);
    expect(merged.achievedRate).toBeCloseTo(600 / 3.05, 6);
    expect(merged.timeline.map((s) => s.completed)).toEqual([200, 400, 600]);
    expect(merged.timeline.map((s) => s.rate)).toEqual([200, 200, 200]);
    // Each second: 100 requests at 1 ms and 100 at 3 ms.
    expect(merged.timeline[0]?.p50Ms).toBeCloseTo(1, 2);
    expect(merged.timeline[0]?.p99Ms).toBeCloseTo(3, 2);
  });

  it("keeps counts but no p50/p99 in the merged timeline when a part has no interval histograms", () => {
    const a = part(new Array<number>(200).fill(1000), 0, 100);
    const b = part(new Array<number>(200).fill(1000), 0, 100);
    const merged = mergeLoadResults([a, { result: b.result }]);
    expect(merged.timeline.map((s) => s.completed)).toEqual([200, 400]);
    expect(merged.timeline.some((s) => s.p99Ms !== undefined || s.p50Ms !== undefined)).toBe(false);
  });

  it("refuses parts whose intervals do not match their timeline", () => {
    const a = part([1000, 2000], 0, 1);
    expect(() => mergeLoadResults([{ result: a.result, intervals: [] }])).toThrow(
      /2 timeline samples but 0/,
    );
    expect(() => mergeLoadResults([])).toThrow(/no load results/);
  });
});
