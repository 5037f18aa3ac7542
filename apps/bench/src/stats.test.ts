import { describe, expect, it } from "vitest";
import { median, ratio, summarizeArrivals } from "./stats.js";

describe("median", () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
    [[10, 10, 1000], 10],
  ])("of %j is %d", (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it("ignores non-finite values and is NaN when nothing is left", () => {
    expect(median([Number.NaN, 2, 4])).toBe(3);
    expect(median([])).toBeNaN();
    expect(median([Number.NaN])).toBeNaN();
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("ratio", () => {
  it("divides", () => {
    expect(ratio(130, 100)).toBeCloseTo(1.3);
  });

  it.each([
    [undefined, 1],
    [1, undefined],
    [1, 0],
    [Number.NaN, 1],
  ])("is NaN for %s / %s", (a, b) => {
    expect(ratio(a, b)).toBeNaN();
  });
});

/** Builds a per-ms arrival record from a function of the ms index. */
function record(lengthMs: number, perMs: (ms: number) => number): number[] {
  return Array.from({ length: lengthMs }, (_, i) => perMs(i));
}

describe("summarizeArrivals", () => {
  it("finds no deviation in perfectly paced arrivals", () => {
    // 1 request every ms = 1 000/s, for 5 s.
    const s = summarizeArrivals(
      record(5000, () => 1),
      { targetRate: 1000 },
    );
    expect(s?.steadyRate).toBe(1000);
    expect(s?.worstWindowDeviation).toBe(0);
    expect(s?.rateError).toBe(0);
    expect(s?.expectedPerWindow).toBe(100);
  });

  it("skips the first second after the first arrival and drops the partial last window", () => {
    // Silence for 200 ms, then 1/ms until ms 3349 (last arrival). Steady span: 1200..3349,
    // so full windows start at 1200, 1300, ..., 3200 (ending 3300 <= 3349): 21 windows.
    const counts = record(3350, (i) => (i >= 200 ? 1 : 0));
    // A burst in the first second must not count.
    counts[300] = 500;
    const s = summarizeArrivals(counts, { targetRate: 1000 });
    expect(s?.windows).toHaveLength(21);
    expect(s?.worstWindowDeviation).toBe(0);
    expect(s?.totalArrivals).toBe(3150 - 1 + 500);
  });

  it("reports the worst window, above or below the target", () => {
    const counts = record(4000, () => 1);
    // Window starting at 2000: empty half (50 instead of 100 → 50% low).
    for (let i = 2000; i < 2050; i++) counts[i] = 0;
    // Window starting at 3000: 130 instead of 100 → 30% high.
    for (let i = 3000; i < 3030; i++) counts[i] = 2;
    const s = summarizeArrivals(counts, { targetRate: 1000 });
    expect(s?.worstWindowDeviation).toBeCloseTo(0.5);
    expect(s?.worstWindowCount).toBe(50);
    // Steady span 1000..3999: 29 full windows (the one ending at 4000 > 3999 is dropped).
    expect(s?.windows).toHaveLength(29);
    expect(s?.steadyRate).toBeCloseTo((29 * 100 - 50 + 30) / 2.9, 6);
  });

  it("sees bursts that average out over the second", () => {
    // 1 000/s on average but all of each second's requests in its first 100 ms.
    const counts = record(6001, (i) => (i < 6000 && i % 1000 < 100 ? 10 : 0));
    counts[6000] = 1; // the last arrival closes the span: 50 full windows, 1000..5999
    const s = summarizeArrivals(counts, { targetRate: 1000 });
    expect(s?.worstWindowDeviation).toBeCloseTo(9); // 1 000 instead of 100
    expect(s?.steadyRate).toBeCloseTo(1000, 0);
  });

  it("honours windowMs and skipMs", () => {
    const s = summarizeArrivals(
      record(1000, () => 2),
      { targetRate: 2000, windowMs: 10, skipMs: 0 },
    );
    expect(s?.expectedPerWindow).toBe(20);
    expect(s?.windows).toHaveLength(99);
    expect(s?.worstWindowDeviation).toBe(0);
  });

  it("returns undefined when no arrival or no full window", () => {
    expect(
      summarizeArrivals(
        record(5000, () => 0),
        { targetRate: 1000 },
      ),
    ).toBeUndefined();
    expect(
      summarizeArrivals(
        record(1050, () => 1),
        { targetRate: 1000 },
      ),
    ).toBeUndefined();
  });

  it("rejects a non-positive target rate", () => {
    expect(() => summarizeArrivals([1], { targetRate: 0 })).toThrow(RangeError);
  });
});
