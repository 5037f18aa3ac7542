import { describe, expect, it } from "vitest";
import { Pacer, countShare } from "./pacer.js";

describe("Pacer", () => {
  it("schedules request i at start + i/qps", () => {
    const pacer = new Pacer(4, 1000);
    expect([0, 1, 2, 3, 4].map((i) => pacer.dueTime(i))).toEqual([1000, 1250, 1500, 1750, 2000]);
  });

  it.each([
    [999.9, 0],
    [1000, 1],
    [1249.99, 1],
    [1250, 2],
    [2000, 5],
  ])("at t=%d has %d requests due", (now, due) => {
    expect(new Pacer(4, 1000).dueCount(now)).toBe(due);
  });

  it("agrees with dueTime exactly for awkward rates", () => {
    for (const qps of [3, 7, 333.3, 5000, 9999]) {
      const pacer = new Pacer(qps, 12.345);
      for (let j = 0; j < 2000; j += 7) {
        const t = pacer.dueTime(j);
        expect(pacer.dueCount(t)).toBe(j + 1);
        expect(pacer.dueCount(t - 1e-9)).toBe(j);
      }
    }
  });

  it("splits a schedule into shares that together send exactly the single schedule", () => {
    const qps = 300;
    const whole = new Pacer(qps, 0);
    const shares = [0, 1, 2].map((k) => new Pacer(qps, 0, k, 3));
    const merged = shares
      .flatMap((share, k) =>
        Array.from({ length: countShare(100, k, 3) }, (_, j) => share.dueTime(j)),
      )
      .sort((a, b) => a - b);
    expect(merged).toEqual(Array.from({ length: 100 }, (_, i) => whole.dueTime(i)));
    expect(shares[1]?.intervalMs).toBeCloseTo(10, 9);
  });

  it("rejects a rate that is not positive", () => {
    expect(() => new Pacer(0, 0)).toThrow(RangeError);
    expect(() => new Pacer(Number.NaN, 0)).toThrow(RangeError);
  });
});

describe("countShare", () => {
  it.each([
    [10, 0, 3, 4],
    [10, 1, 3, 3],
    [10, 2, 3, 3],
    [2, 2, 3, 0],
    [0, 0, 1, 0],
  ])("of %d split %d-of-%d is %d", (total, offset, stride, expected) => {
    expect(countShare(total, offset, stride)).toBe(expected);
  });

  it("keeps an unbounded total unbounded", () => {
    expect(countShare(Number.POSITIVE_INFINITY, 1, 2)).toBe(Number.POSITIVE_INFINITY);
  });
});
