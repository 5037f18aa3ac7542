import { describe, expect, it } from "vitest";
import { CURVE_PERCENTILES, percentileCurve } from "./percentile-curve.js";

describe("percentileCurve", () => {
  it("interpolates every curve percentile inside the buckets", () => {
    // 100 values spread evenly over [0, 100) ms: percentile p sits at p ms.
    const buckets: Array<[number, number, number]> = Array.from({ length: 10 }, (_, i) => [
      i * 10,
      i * 10 + 10,
      10,
    ]);
    const curve = percentileCurve(buckets, []);
    expect(curve.map((p) => p.percentile)).toEqual(CURVE_PERCENTILES);
    for (const point of curve) expect(point.latencyMs).toBeCloseTo(point.percentile, 6);
  });

  it("prefers exact values, adds their percentiles and keeps the curve from decreasing", () => {
    const curve = percentileCurve(
      [[0, 10, 10]],
      [
        { percentile: 0, latencyMs: 1 },
        { percentile: 99.9, latencyMs: 9.9 },
        { percentile: 42, latencyMs: 2 },
      ],
    );
    expect(curve.find((p) => p.percentile === 0)?.latencyMs).toBe(1);
    expect(curve.find((p) => p.percentile === 99.9)?.latencyMs).toBe(9.9);
    // p40 interpolates to 4 ms but is held below the exact p42 of 2 ms; p99.5 below p99.9's 9.9.
    expect(curve.find((p) => p.percentile === 40)?.latencyMs).toBe(2);
    expect(curve.find((p) => p.percentile === 42)?.latencyMs).toBe(2);
    expect(curve.find((p) => p.percentile === 99.5)?.latencyMs).toBe(9.9);
    const values = curve.map((p) => p.latencyMs);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it("is empty without buckets or values", () => {
    expect(percentileCurve([], [])).toEqual([]);
    expect(percentileCurve([[0, 1, 0]], [])).toEqual([]);
  });
});
