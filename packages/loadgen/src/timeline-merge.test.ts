import { LatencyHistogram } from "@iter8/metrics";
import { describe, expect, it } from "vitest";
import { TimelineMerger } from "./timeline-merge.js";
import type { LoadProgress } from "./types.js";

function histogramOf(values: number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const v of values) histogram.record(v);
  return histogram;
}

/** As a worker sends it: encoded, structured-cloned, decoded. */
function shipped(values: number[]): LatencyHistogram {
  return LatencyHistogram.decode(structuredClone(histogramOf(values).encode()));
}

function sample(elapsedMs: number, completed: number, rate: number, etaMs?: number): LoadProgress {
  const s: LoadProgress = {
    elapsedMs,
    sent: completed,
    completed,
    errors: 0,
    rate,
    phase: "measure",
  };
  if (etaMs !== undefined) s.etaMs = etaMs;
  return s;
}

/** Deterministic pseudo-random latencies in µs, spread over [low, low + spread). */
function latencies(n: number, low: number, spread: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return low + (x / 2 ** 31) * spread;
  });
}

describe("TimelineMerger", () => {
  it("takes p50/p99 from the merged interval histograms: equal to recording every value in one histogram", () => {
    // One worker fast, one slow, one mixed: an average of their percentiles would be far off.
    const parts = [
      latencies(700, 500, 1_000, 1),
      latencies(300, 40_000, 10_000, 2),
      [...latencies(50, 800, 100, 3), ...latencies(5, 90_000, 5_000, 4)],
    ];
    const merger = new TimelineMerger(3);
    const out = parts.flatMap((values, index) =>
      merger.add(index, sample(1000, values.length, values.length), shipped(values)),
    );
    expect(out).toHaveLength(1);
    const all = histogramOf(parts.flat());
    expect(all.count).toBe(1055);
    expect(out[0]?.p50Ms).toBe(all.percentile(50) / 1000);
    expect(out[0]?.p99Ms).toBe(all.percentile(99) / 1000);
    // The values are far from any worker's own percentiles or their mean.
    expect(out[0]?.p50Ms).toBeLessThan(2);
    expect(out[0]?.p99Ms).toBeGreaterThan(40);
    expect(out[0]).toMatchObject({ elapsedMs: 1000, completed: 1055, sent: 1055, rate: 1055 });
    expect(merger.timeline).toEqual(out);
  });

  it("emits sample k once every worker has sent its k-th sample, one sample per second", () => {
    const merger = new TimelineMerger(2);
    expect(merger.add(0, sample(1000, 10, 10, 2000), shipped([1000]))).toEqual([]);
    expect(merger.add(0, sample(2000, 20, 10, 1000), shipped([1500]))).toEqual([]);
    const first = merger.add(1, sample(1001, 12, 12, 1999), shipped([2000]));
    expect(first).toEqual([
      {
        elapsedMs: 1001,
        sent: 22,
        completed: 22,
        errors: 0,
        rate: 22,
        etaMs: 2000,
        phase: "measure",
        p50Ms: 1,
        p99Ms: 2,
      },
    ]);
    const second = merger.add(1, sample(2002, 24, 12, 998), shipped([1900]));
    expect(second.map((s) => [s.elapsedMs, s.completed, s.p50Ms, s.p99Ms])).toEqual([
      [2002, 44, 1.5, 1.9],
    ]);
    expect(merger.timeline).toHaveLength(2);
  });

  it("merges the last partial samples; a worker that ended adds its final totals and no latency", () => {
    const merger = new TimelineMerger(2);
    merger.add(0, sample(1000, 100, 100), shipped(latencies(100, 1_000, 10, 5)));
    merger.add(1, sample(1000, 100, 100), shipped(latencies(100, 1_000, 10, 6)));
    // Worker 0 finishes at 1.5 s with a partial sample; worker 1 runs a full second more.
    merger.add(0, sample(1500, 150, 100), shipped(latencies(50, 1_000, 10, 7)));
    expect(merger.end(0)).toEqual([]);
    const partial = merger.add(1, sample(2000, 200, 100), shipped(latencies(100, 30_000, 10, 8)));
    expect(partial).toHaveLength(1);
    expect(partial[0]).toMatchObject({ elapsedMs: 2000, completed: 350, rate: 200 });
    const merged = histogramOf([...latencies(50, 1_000, 10, 7), ...latencies(100, 30_000, 10, 8)]);
    expect(partial[0]?.p50Ms).toBe(merged.percentile(50) / 1000);
    expect(partial[0]?.p99Ms).toBe(merged.percentile(99) / 1000);
    // Worker 1's last, partial sample: worker 0 contributes only its totals.
    const last = merger.add(1, sample(2030, 203, 100), shipped([31_000, 31_000, 31_000]));
    expect(last).toEqual([
      {
        elapsedMs: 2030,
        sent: 353,
        completed: 353,
        errors: 0,
        rate: 100,
        phase: "measure",
        p50Ms: 31,
        p99Ms: 31,
      },
    ]);
    expect(merger.end(1)).toEqual([]);
    expect(merger.timeline.map((s) => s.elapsedMs)).toEqual([1000, 2000, 2030]);
  });

  it("leaves p50/p99 out of a sample whose interval had no responses (only transport errors)", () => {
    const merger = new TimelineMerger(2);
    merger.add(0, { ...sample(1000, 5, 5), errors: 5 }, new LatencyHistogram());
    const [only] = merger.add(1, { ...sample(1000, 3, 3), errors: 3 }, new LatencyHistogram());
    expect(only).toEqual({
      elapsedMs: 1000,
      sent: 8,
      completed: 8,
      errors: 8,
      rate: 8,
      phase: "measure",
    });
  });

  it("ignores samples from a worker after it ended and rejects unknown workers", () => {
    const merger = new TimelineMerger(1);
    merger.end(0);
    expect(merger.add(0, sample(1000, 1, 1), shipped([1]))).toEqual([]);
    expect(merger.timeline).toEqual([]);
    expect(() => merger.add(1, sample(1000, 1, 1), shipped([1]))).toThrow(RangeError);
  });
});
