import { describe, expect, it } from "vitest";
import {
  analyticStallPercentile,
  BENCH_STALL,
  CO_TOLERANCE,
  isWithinTolerance,
} from "./co-analytic.js";

describe("analyticStallPercentile", () => {
  it.each([
    [50, 0],
    [75, 250],
    [90, 400],
    [99, 490],
    [99.9, 499],
    [100, 500],
    [10, 0],
  ])("gives p%d = %d ms for a 500 ms stall each second", (p, expected) => {
    expect(analyticStallPercentile(BENCH_STALL, p)).toBeCloseTo(expected, 9);
  });

  it("matches a simulation of uniformly intended requests against the stall", () => {
    // 1 000 req/s for 20 s, intended every 1 ms at phase u; latency = stall - u inside the stall.
    const latencies: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const u = (i + 0.5) % 1000;
      latencies.push(u < 500 ? 500 - u : 0);
    }
    latencies.sort((a, b) => a - b);
    for (const p of [75, 90, 99]) {
      const simulated = latencies[Math.ceil((p / 100) * latencies.length) - 1] as number;
      expect(Math.abs(simulated - analyticStallPercentile(BENCH_STALL, p))).toBeLessThanOrEqual(1);
    }
  });

  it("depends on the stalled fraction of the period", () => {
    // 100 ms of every 1 000 ms stalled: only the top 10% are slow.
    const model = { periodMs: 1000, stallMs: 100 };
    expect(analyticStallPercentile(model, 90)).toBe(0);
    expect(analyticStallPercentile(model, 95)).toBeCloseTo(50, 9);
    expect(analyticStallPercentile(model, 99)).toBeCloseTo(90, 9);
  });

  it("rejects impossible models and percentiles", () => {
    expect(() => analyticStallPercentile({ periodMs: 100, stallMs: 200 }, 50)).toThrow(RangeError);
    expect(() => analyticStallPercentile(BENCH_STALL, 101)).toThrow(RangeError);
  });
});

describe("isWithinTolerance", () => {
  it("allows 10% of a positive analytic value", () => {
    expect(isWithinTolerance(274, 250)).toBe(true);
    expect(isWithinTolerance(226, 250)).toBe(true);
    expect(isWithinTolerance(276, 250)).toBe(false);
    expect(isWithinTolerance(441.5, 490)).toBe(true);
    expect(isWithinTolerance(440, 490)).toBe(false);
  });

  it("allows 10% of the stall (50 ms) at the edge, where the analytic value is 0", () => {
    expect(CO_TOLERANCE.edgeMs).toBe(50);
    expect(isWithinTolerance(50, 0)).toBe(true);
    expect(isWithinTolerance(50.1, 0)).toBe(false);
  });

  it("fails a missing measurement", () => {
    expect(isWithinTolerance(Number.NaN, 0)).toBe(false);
  });
});
