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

  it("wakes on time after a retune to a much longer interval (a ramp's rate changed)", async () => {
    const clock = (): number => performance.now();
    const observed: Array<[number, number]> = [];
    let target = 0;
    await new Promise<void>((resolve) => {
      const waker = createPrecisionWaker({ spinMs: 0.05, intervalMs: 2 })(clock, () => {
        observed.push([target, clock()]);
        if (observed.length === 20) {
          waker.close();
          resolve();
          return;
        }
        // After the fifth wake the clock thread is told requests are 5 s apart, but they are not:
        // it must still follow each earlier target rather than linger for 5 s.
        if (observed.length === 5) waker.retune?.(5000);
        target = clock() + 2;
        waker.arm(target);
      });
      target = clock() + 2;
      waker.arm(target);
    });
    expect(observed).toHaveLength(20);
    for (const [armedFor, wokeAt] of observed) {
      expect(wokeAt).toBeGreaterThanOrEqual(armedFor);
      // Far below the 5 s linger even on a busy machine.
      expect(wokeAt - armedFor).toBeLessThan(1000);
    }
  });

  it("with next-target hints, still wakes once per arming, never early, and never for a hint alone", async () => {
    const clock = (): number => performance.now();
    const observed: Array<[number, number]> = [];
    let target = 0;
    let waker: ReturnType<ReturnType<typeof createPrecisionWaker>> | undefined;
    await new Promise<void>((resolve) => {
      waker = createPrecisionWaker({ spinMs: 0.02, intervalMs: 2 })(clock, () => {
        observed.push([target, clock()]);
        // The tenth target's hint is not followed by arm(): nothing may wake for it.
        if (observed.length === 10) {
          resolve();
          return;
        }
        target += 2;
        waker?.arm(target, target + 2);
      });
      target = clock() + 2;
      waker.arm(target, target + 2);
    });
    // Well past the hinted target, even on a busy machine (bounded wait, not a timing window).
    await new Promise((r) => setTimeout(r, 50));
    waker?.close();
    expect(observed).toHaveLength(10);
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
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const msOf = ([s, ns]: [number, number]): number => s * 1e3 + ns / 1e6;

  it("maps the clock onto process.hrtime(), within half its tightest bracketing pair", () => {
    // Watch (not replace) process.hrtime to learn the calibration's own error bound: the clock
    // read sits between the two hrtime reads of a pair, so the midpoint of the tightest pair is off
    // by at most half its width. A fixed bound (it was 0.02 ms) fails when a busy machine
    // preempts the calibration; this one holds however wide the pairs get.
    const reads = vi.spyOn(process, "hrtime");
    const offset = calibrateOffsetMs();
    const pairs = reads.mock.results.map((r) => msOf(r.value as [number, number]));
    reads.mockRestore();
    expect(pairs).toHaveLength(40);
    let tightest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < pairs.length; i += 2) {
      tightest = Math.min(tightest, (pairs[i + 1] ?? 0) - (pairs[i] ?? 0));
    }
    const hrMs = (): number => msOf(process.hrtime());
    const before = hrMs();
    const mapped = performance.now() + offset;
    const after = hrMs();
    // Plus 1 µs for the rounding of sums of clock readings of ~1e9 ms.
    const slack = tightest / 2 + 0.001;
    expect(mapped).toBeGreaterThanOrEqual(before - slack);
    expect(mapped).toBeLessThanOrEqual(after + slack);
  });

  it("keeps the tightest pair of reads, not the first ones (slow while warming up)", () => {
    // An injected clock and scripted hrtime reads (ms): pairs 20 wide, then one 2 wide, then 10.
    const hr: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = 1000 * (i + 1);
      const width = i === 7 ? 2 : i < 5 ? 20 : 10;
      hr.push(start, start + width);
    }
    let next = 0;
    vi.spyOn(process, "hrtime").mockImplementation(() => {
      const ms = hr[next++] ?? Number.NaN;
      return [Math.floor(ms / 1e3), (ms % 1e3) * 1e6];
    });
    // The clock reads 500 ms behind hrtime, 1 ms into each pair.
    let clockRead = 0;
    const clock = (): number => (hr[2 * clockRead++] ?? Number.NaN) + 1 - 500;
    // Pair 7 is [8000, 8002] with the clock at 7501: offset = 8001 - 7501.
    expect(calibrateOffsetMs(clock)).toBe(500);
    expect(next).toBe(40);
  });
});
