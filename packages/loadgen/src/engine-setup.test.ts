import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "@iter8/metrics";
import {
  PACED_EARLY_MS,
  PACED_WAKE_GROUP,
  createEngineDeps,
  planShare,
  toLoadResult,
} from "./engine-setup.js";
import { sendWindows } from "./load-engine.js";
import { resolveLoadOptions } from "./options.js";
import type { CreateTransport } from "./transport.js";
import { createTimerWaker } from "./waker.js";

const clock = (): number => performance.now();
/** The waker choice does not depend on the transport; these tests never build one. */
const noTransport: CreateTransport = () => {
  throw new Error("not used");
};

describe("createEngineDeps", () => {
  it("wakes the engine on Node's millisecond timers with pacing: timer", () => {
    const options = resolveLoadOptions({
      url: "http://127.0.0.1:1/",
      qps: 5000,
      connections: 4,
      pacing: "timer",
    });
    expect(createEngineDeps(options, clock, noTransport).createWaker).toBe(createTimerWaker);
  });

  it("uses the clock thread (not the timer waker) by default", () => {
    const options = resolveLoadOptions({ url: "http://127.0.0.1:1/", qps: 5000, connections: 4 });
    expect(createEngineDeps(options, clock, noTransport).createWaker).not.toBe(createTimerWaker);
  });
});

describe("planShare", () => {
  it("lets paced requests leave at most PACED_EARLY_MS (a quarter millisecond) early", () => {
    const options = resolveLoadOptions({ url: "http://127.0.0.1:1/", qps: 5000, connections: 4 });
    expect(PACED_EARLY_MS).toBe(0.25);
    expect(planShare(options, 0, 0, 1).pacing?.earlyMs).toBe(PACED_EARLY_MS);
  });

  it("groups wakes with precise pacing, not with timer pacing", () => {
    const base = { url: "http://127.0.0.1:1/", qps: 5000, connections: 4 };
    const precise = resolveLoadOptions(base);
    expect(PACED_WAKE_GROUP).toEqual({ gapMs: 2, min: 4, max: 10 });
    expect(planShare(precise, 0, 0, 1).pacing?.wakeGroup).toEqual(PACED_WAKE_GROUP);
    const timer = resolveLoadOptions({ ...base, pacing: "timer" });
    expect(planShare(timer, 0, 0, 1).pacing?.wakeGroup).toBeUndefined();
  });
});

describe("sendWindows", () => {
  const group = PACED_WAKE_GROUP;

  it("keeps earlyMs for wakes and answers while fewer than group.min requests fit in the gap", () => {
    // 1 000/s and 1 999/s: at most three requests in 2 ms; exact pacing.
    expect(sendWindows(1, 0.25, group)).toEqual({ wake: 0.25, answer: 0.25 });
    expect(sendWindows(1000 / 1999, 0.25, group)).toEqual({ wake: 0.25, answer: 0.25 });
    expect(sendWindows(0.2, 0.25, undefined)).toEqual({ wake: 0.25, answer: 0.25 });
    // A group is never a single request, whatever group.min says.
    expect(sendWindows(0.6, 0.25, { gapMs: 1, min: 0, max: 10 })).toEqual({
      wake: 0.25,
      answer: 0.25,
    });
  });

  it("lets a wake carry the requests due within the gap, at most group.max, answers none", () => {
    // 5 000/s: ten requests 0.2 ms apart per wake; the last leaves 1.8 ms early.
    const at5000 = sendWindows(0.2, 0.25, group);
    expect(at5000.wake).toBeCloseTo(1.85, 12);
    expect(at5000.answer).toBe(0);
    // 2 000/s: four per wake; 10 000/s and 20 000/s: ten per wake (the cap), 0.925 and 0.4625 ms.
    expect(sendWindows(0.5, 0.25, group).wake).toBeCloseTo(1.625, 12);
    expect(sendWindows(0.1, 0.25, group).wake).toBeCloseTo(0.925, 12);
    expect(sendWindows(0.05, 0.25, group).wake).toBeCloseTo(0.4625, 12);
    // Above 40 000/s ten requests fall due within earlyMs, which every send opportunity keeps.
    expect(sendWindows(0.01, 0.25, group).wake).toBe(0.25);
    for (const interval of [0.5, 0.3, 0.2, 0.1, 0.05, 0.03]) {
      const { wake } = sendWindows(interval, 0.25, group);
      expect(wake).toBeLessThan(group.gapMs);
      expect(Math.floor(wake / interval) + 1).toBeLessThanOrEqual(group.max);
      // A wake's window reaches past the last request of its group by a quarter interval.
      expect(wake / interval - Math.floor(wake / interval)).toBeCloseTo(0.25, 9);
    }
  });
});

describe("planShare under a ramp", () => {
  const ramp = { kind: "step", start: 10, step: 10, stepDurationMs: 1000, end: 30 } as const;

  it("runs the warm-up at the start rate and ends the window where the ramp's count ends", () => {
    const options = resolveLoadOptions({
      url: "http://127.0.0.1:1/",
      qps: 0,
      schedule: ramp,
      connections: 4,
      numRequests: 60,
      warmupRequests: 5,
    });
    const config = planShare(options, 1000, 0, 1);
    // 5 warm-up requests at 10/s; then 10 + 20 + 30 measured requests in three seconds.
    expect(config.warmupRequests).toBe(5);
    expect(config.measuredRequests).toBe(60);
    expect(config.pacing?.measureStartAt).toBeCloseTo(1500, 9);
    expect(config.pacing?.windowEndAt).toBeCloseTo(4500, 9);
    expect(config.pacing?.pacer.dueTime(5)).toBeCloseTo(1500, 9);
    expect(config.pacing?.pacer.dueTime(15)).toBeCloseTo(2500, 9);
  });

  it("ends a duration run's window at the duration in every share", () => {
    const options = resolveLoadOptions({
      url: "http://127.0.0.1:1/",
      qps: 0,
      schedule: ramp,
      connections: 4,
      durationMs: 2000,
      warmupMs: 0,
    });
    const shares = [0, 1, 2].map((k) => planShare(options, 0, k, 3));
    for (const share of shares) {
      expect(share.pacing?.measureStartAt).toBe(0);
      expect(share.pacing?.windowEndAt).toBe(2000);
    }
  });
});

describe("toLoadResult", () => {
  it("gives a schedule window's length exactly, without the float noise of two clock readings", () => {
    // As the engine computes them: start + 1000 * 1.0 and start + 1000 * 4.5.
    const startAt = 4321.1234567;
    const measureStart = startAt + 1000 * 1.0;
    const endTime = startAt + 1000 * 4.5;
    expect(endTime - measureStart).not.toBe(3500);
    const result = toLoadResult(
      {
        aborted: false,
        requests: 150,
        errors: 0,
        statusCodes: { "200": 150 },
        errorClasses: {},
        measureStart,
        endTime,
        latency: new LatencyHistogram(),
        serviceTime: new LatencyHistogram(),
        queueWait: new LatencyHistogram(),
        dispatchLag: undefined,
        warmupRequests: 0,
        timeline: [],
      },
      0,
    );
    expect(result.durationMs).toBe(3500);
  });
});
