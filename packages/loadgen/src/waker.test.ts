import { afterEach, describe, expect, it, vi } from "vitest";
import { calibrateOffsetMs, createPrecisionWaker, createTimerWaker } from "./waker.js";

describe("createTimerWaker", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("wakes once at the armed time, and re-arming replaces the target", () => {
    vi.useFakeTimers({ now: 0 });
    const wakes: number[] = [];
    const waker = createTimerWaker(
      () => Date.now(),
      () => wakes.push(Date.now()),
    );
    waker.arm(50);
    waker.arm(30);
    vi.advanceTimersByTime(100);
    expect(wakes).toEqual([30]);
    waker.arm(120);
    waker.close();
    vi.advanceTimersByTime(100);
    expect(wakes).toEqual([30]);
  });
});

describe("createPrecisionWaker", () => {
  it("never wakes before the armed time, and wakes once per arming", async () => {
    const clock = (): number => performance.now();
    const observed: Array<[number, number]> = [];
    let target = 0;
    await new Promise<void>((resolve) => {
      const waker = createPrecisionWaker({ spinMs: 0.1, intervalMs: 2 })(clock, () => {
        observed.push([target, clock()]);
        if (observed.length === 20) {
          waker.close();
          resolve();
          return;
        }
        target = clock() + 2;
        waker.arm(target);
      });
      target = clock() + 2;
      waker.arm(target);
    });
    expect(observed).toHaveLength(20);
    for (const [armedFor, wokeAt] of observed) expect(wokeAt).toBeGreaterThanOrEqual(armedFor);
  });

  it("follows a re-armed earlier target", async () => {
    const clock = (): number => performance.now();
    let wakes = 0;
    let wokeAt = 0;
    const near = clock() + 5;
    await new Promise<void>((resolve) => {
      const waker = createPrecisionWaker({ spinMs: 0.1, intervalMs: 2 })(clock, () => {
        wakes++;
        wokeAt = clock();
        waker.close();
        resolve();
      });
      waker.arm(clock() + 60_000);
      waker.arm(near);
    });
    expect(wakes).toBe(1);
    expect(wokeAt).toBeGreaterThanOrEqual(near);
  });
});

describe("calibrateOffsetMs", () => {
  it("maps the clock onto process.hrtime()", () => {
    const offset = calibrateOffsetMs();
    const hrMs = (): number => {
      const [s, ns] = process.hrtime();
      return s * 1e3 + ns / 1e6;
    };
    const before = hrMs();
    const mapped = performance.now() + offset;
    const after = hrMs();
    // Within the bracketing reads, up to the calibration's own error (a few microseconds).
    expect(mapped).toBeGreaterThanOrEqual(before - 0.02);
    expect(mapped).toBeLessThanOrEqual(after + 0.02);
  });
});
