import { describe, expect, it } from "vitest";
import { planLoadRamp as planRamp } from "@iter8/spec";
import type { LoadSchedule } from "@iter8/spec";
import { Pacer, countShare, createRateCurve } from "./pacer.js";

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
    expect(shares[1]?.intervalMsAt(0)).toBeCloseTo(10, 9);
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

type Ramp = Exclude<LoadSchedule, { kind: "const" }>;

/** Due times (s) of run requests 0..n-1 of a ramp with no lead. */
function dueTimes(schedule: Ramp, n: number, lead = 0): number[] {
  const pacer = new Pacer(createRateCurve(0, schedule, lead), 0);
  return Array.from({ length: n }, (_, i) => pacer.dueTime(i) / 1000);
}

/** How many of `times` fall in [from, to). */
function within(times: number[], from: number, to: number): number {
  return times.filter((t) => t >= from - 1e-9 && t < to - 1e-9).length;
}

describe("ramps (ghz load schedules)", () => {
  it("steps up: start for one step, then start + step, ..., then holds at end", () => {
    // 10/s for 1 s, 20/s, 30/s, then 35/s (the end, reached on the third step) for good.
    const schedule: Ramp = { kind: "step", start: 10, step: 10, stepDurationMs: 1000, end: 35 };
    expect(planRamp(schedule)).toEqual({ rampS: 3, holdRate: 35 });
    const times = dueTimes(schedule, 10 + 20 + 30 + 35 * 2);
    expect([0, 1, 2, 3, 4].map((s) => within(times, s, s + 1))).toEqual([10, 20, 30, 35, 35]);
    expect(times.slice(0, 3)).toEqual([0, 0.1, 0.2]);
    expect(times[10]).toBeCloseTo(1, 12);
    expect(times[11]).toBeCloseTo(1.05, 12);
  });

  it("steps down until the max duration, then holds the rate reached", () => {
    // ghz's step-down example: 200/s, -10 every 5 s, for 40 s: 8 steps, then 120/s.
    const schedule: Ramp = {
      kind: "step",
      start: 200,
      step: -10,
      stepDurationMs: 5000,
      maxDurationMs: 40_000,
    };
    expect(planRamp(schedule)).toEqual({ rampS: 40, holdRate: 120 });
    const times = dueTimes(schedule, 8000);
    const perStep = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => within(times, 5 * k, 5 * k + 5));
    expect(perStep).toEqual([1000, 950, 900, 850, 800, 750, 700, 650, 600]);
  });

  it("ends a step ramp at whichever comes first, the end rate or the max duration", () => {
    const base = { kind: "step", start: 50, step: 10, stepDurationMs: 5000 } as const;
    expect(planRamp({ ...base, end: 150, maxDurationMs: 60_000 })).toEqual({
      rampS: 50,
      holdRate: 150,
    });
    expect(planRamp({ ...base, end: 150, maxDurationMs: 22_000 })).toEqual({
      rampS: 20,
      holdRate: 90,
    });
    // An end between two steps: the last step is cut to the end rate (as ghz).
    expect(planRamp({ ...base, step: 30, end: 100 })).toEqual({ rampS: 10, holdRate: 100 });
  });

  it("ramps a line up continuously: the integral start·t + step·t²/2, then holds", () => {
    // 10/s rising 20/s each second to 50/s at t = 2 s: 10 + 30 requests in the first two seconds.
    const schedule: Ramp = { kind: "line", start: 10, step: 20, end: 50 };
    expect(planRamp(schedule)).toEqual({ rampS: 2, holdRate: 50 });
    const times = dueTimes(schedule, 40 + 100);
    expect([0, 1, 2, 3].map((s) => within(times, s, s + 1))).toEqual([20, 40, 50, 30]);
    // Request i of the ramp is due when 10t + 10t² = i.
    for (const i of [1, 7, 19, 39]) {
      const t = times[i] as number;
      expect(10 * t + 10 * t * t).toBeCloseTo(i, 9);
    }
  });

  it("ramps a line down to its end rate and holds it", () => {
    const schedule: Ramp = { kind: "line", start: 100, step: -25, end: 50 };
    expect(planRamp(schedule)).toEqual({ rampS: 2, holdRate: 50 });
    const times = dueTimes(schedule, 150 + 100);
    // First second: ∫(100 - 25t) = 87.5; second: 62.5; then 50 a second.
    expect(within(times, 0, 1)).toBe(88);
    expect(within(times, 0, 2)).toBe(150);
    expect(within(times, 2, 4)).toBe(100);
  });

  it("holds a line at the rate reached when the max duration ends it first", () => {
    expect(planRamp({ kind: "line", start: 5, step: 5, maxDurationMs: 2500 })).toEqual({
      rampS: 2.5,
      holdRate: 17.5,
    });
  });

  it("runs the warm-up at the start rate and starts the ramp when measuring does", () => {
    const schedule: Ramp = { kind: "step", start: 10, step: 10, stepDurationMs: 1000, end: 30 };
    const times = dueTimes(schedule, 5 + 10 + 20, 5);
    expect(times[4]).toBeCloseTo(0.4, 12);
    expect(times[5]).toBeCloseTo(0.5, 12);
    const measured = times.slice(5).map((t) => t - 0.5);
    expect([0, 1].map((s) => within(measured, s, s + 1))).toEqual([10, 20]);
  });

  it.each<[string, Ramp]>([
    ["step up", { kind: "step", start: 7, step: 13, stepDurationMs: 300, end: 200 }],
    ["step down", { kind: "step", start: 900, step: -70, stepDurationMs: 170, end: 33 }],
    ["line up", { kind: "line", start: 3, step: 97, maxDurationMs: 4000 }],
    ["line down", { kind: "line", start: 700, step: -150, end: 41 }],
  ])("%s: dueCount agrees with dueTime exactly", (_, schedule) => {
    const pacer = new Pacer(createRateCurve(0, schedule, 17), 12.345);
    for (let j = 0; j < 3000; j += 3) {
      const t = pacer.dueTime(j);
      expect(pacer.dueTime(j + 1)).toBeGreaterThan(t);
      expect(pacer.dueCount(t)).toBe(j + 1);
      expect(pacer.dueCount(t - 1e-6)).toBe(j);
    }
  });

  it("splits a ramp into shares that together send exactly the single schedule, for any N", () => {
    const schedules: Ramp[] = [
      { kind: "step", start: 40, step: 25, stepDurationMs: 250, end: 300 },
      { kind: "line", start: 500, step: -120, end: 60 },
    ];
    const total = 997;
    for (const schedule of schedules) {
      const whole = new Pacer(createRateCurve(0, schedule, 11), 5);
      const single = Array.from({ length: total }, (_, i) => whole.dueTime(i));
      for (const n of [1, 2, 3, 4, 7, 16]) {
        const merged = Array.from({ length: n }, (_, k) => {
          const share = new Pacer(createRateCurve(0, schedule, 11), 5, k, n);
          return Array.from({ length: countShare(total, k, n) }, (_, j) => share.dueTime(j));
        })
          .flat()
          .sort((a, b) => a - b);
        expect(merged).toEqual(single);
      }
    }
  });

  it("gives the current interval between a share's requests as the rate ramps", () => {
    const schedule: Ramp = { kind: "step", start: 100, step: 100, stepDurationMs: 1000, end: 400 };
    const share = new Pacer(createRateCurve(0, schedule), 0, 1, 2);
    expect(share.intervalMsAt(500)).toBeCloseTo(20, 9);
    expect(share.intervalMsAt(1500)).toBeCloseTo(10, 9);
    expect(share.intervalMsAt(60_000)).toBeCloseTo(5, 9);
  });
});
