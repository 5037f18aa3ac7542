import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { planShare } from "./engine-setup.js";
import { LoadEngine } from "./load-engine.js";
import type { EngineControl, EngineResult, WakeGroup } from "./load-engine.js";
import { resolveLoadOptions } from "./options.js";
import type { CreateTransport, OutcomeSink } from "./transport.js";
import type { LoadOptions, LoadProgress, TransportErrorClass } from "./types.js";
import { createTimerWaker } from "./waker.js";
import type { CreateWaker } from "./waker.js";

/** A transport that answers every request after `serviceMs` of (fake) time, and logs sends. */
function createFakeTransport(
  serviceMs: number | ((index: number) => number),
  outcome: (index: number) => { status: number; errorClass?: TransportErrorClass } = () => ({
    status: 200,
  }),
) {
  const sends: number[] = [];
  let sink: OutcomeSink | undefined;
  let destroyed = false;
  const create: CreateTransport = (_lanes, s) => {
    sink = s;
    return {
      send(lane: number) {
        const index = sends.length;
        sends.push(Date.now());
        const delay = typeof serviceMs === "number" ? serviceMs : serviceMs(index);
        if (!Number.isFinite(delay)) return; // never answers
        setTimeout(() => {
          if (destroyed) return;
          const { status, errorClass } = outcome(index);
          sink?.onOutcome(lane, status, errorClass);
        }, delay);
      },
      destroy() {
        destroyed = true;
        return Promise.resolve();
      },
    };
  };
  return { create, sends };
}

/** Runs an engine on fake time (clock = Date.now(), starting at 0) for at most `limitMs`. */
async function runFake(
  options: Omit<LoadOptions, "url">,
  transport: { create: CreateTransport },
  limitMs: number,
  control: {
    abortAtMs?: number;
    onProgress?: (p: LoadProgress) => void;
    onSample?: EngineControl["onSample"];
    startAt?: number;
    createWaker?: CreateWaker;
    /** Overrides the paced schedule's `earlyMs` (PACED_EARLY_MS by default). */
    earlyMs?: number;
    /** Overrides the paced schedule's `wakeGroup` (PACED_WAKE_GROUP by default). */
    wakeGroup?: WakeGroup;
  } = {},
): Promise<EngineResult> {
  const resolved = resolveLoadOptions({ url: "http://127.0.0.1:1/", ...options });
  const config = planShare(resolved, control.startAt ?? 0, 0, 1);
  if (config.pacing && control.earlyMs !== undefined) config.pacing.earlyMs = control.earlyMs;
  if (config.pacing && control.wakeGroup !== undefined) config.pacing.wakeGroup = control.wakeGroup;
  const engine = new LoadEngine(config, {
    clock: () => Date.now(),
    createWaker: control.createWaker ?? createTimerWaker,
    createTransport: transport.create,
  });
  const abort = new AbortController();
  let result: EngineResult | undefined;
  void engine
    .run({
      signal: abort.signal,
      ...(control.onProgress ? { onProgress: control.onProgress } : {}),
      ...(control.onSample ? { onSample: control.onSample } : {}),
    })
    .then((r) => (result = r));
  if (control.abortAtMs !== undefined) setTimeout(() => abort.abort(), control.abortAtMs);
  for (let t = 0; t < limitMs && !result; t += 1) await vi.advanceTimersByTimeAsync(1);
  if (!result) throw new Error(`engine did not finish within ${limitMs} ms of fake time`);
  return result;
}

describe("LoadEngine on fake timers", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends each paced request at its scheduled time: start + i/qps", async () => {
    const transport = createFakeTransport(3);
    const result = await runFake(
      { qps: 100, connections: 4, numRequests: 50, warmupMs: 0 },
      transport,
      2_000,
    );
    expect(transport.sends).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
    expect(result.requests).toBe(50);
    expect(result.latency.min).toBe(3000);
    expect(result.latency.max).toBe(3000);
    expect(result.dispatchLag?.max).toBe(0);
  });

  it("never sends early when due times fall between milliseconds", async () => {
    const transport = createFakeTransport(1);
    await runFake({ qps: 3, connections: 2, numRequests: 7, warmupMs: 0 }, transport, 5_000);
    transport.sends.forEach((sentAt, i) => {
      const due = (i * 1000) / 3;
      expect(sentAt).toBeGreaterThanOrEqual(due);
      expect(sentAt).toBeLessThan(due + 1);
    });
  });

  it("measures latency from the intended send time when connections run out (no coordinated omission)", async () => {
    // One connection, a request every 10 ms, each taking 25 ms: request i leaves at 25i, not 10i.
    const transport = createFakeTransport(25);
    const result = await runFake(
      { qps: 100, connections: 1, numRequests: 10, warmupMs: 0 },
      transport,
      2_000,
    );
    expect(transport.sends).toEqual(Array.from({ length: 10 }, (_, i) => i * 25));
    expect(result.latency.min).toBe(25_000);
    expect(result.latency.max).toBe(15 * 9 * 1000 + 25_000);
    expect(result.serviceTime.max).toBe(25_000);
    expect(result.queueWait.max).toBe(15 * 9 * 1000);
  });

  it("discards the warm-up and then sends exactly numRequests measured requests", async () => {
    const transport = createFakeTransport(2);
    const result = await runFake(
      { qps: 100, connections: 2, numRequests: 10, warmupRequests: 5 },
      transport,
      2_000,
    );
    expect(transport.sends).toHaveLength(15);
    expect(result.warmupRequests).toBe(5);
    expect(result.requests).toBe(10);
    expect(result.measureStart).toBe(50);
    // The measured schedule continues the warm-up's: no gap, no burst.
    expect(transport.sends).toEqual(Array.from({ length: 15 }, (_, i) => i * 10));
  });

  it("stops scheduling at the duration deadline and waits for requests in flight", async () => {
    const transport = createFakeTransport(30);
    const result = await runFake(
      { qps: 100, connections: 10, durationMs: 100, warmupMs: 0 },
      transport,
      2_000,
    );
    expect(transport.sends).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
    expect(result.requests).toBe(10);
    // The window (100 ms) extended by the last request in flight (sent at 90, done at 120).
    expect(result.endTime - result.measureStart).toBe(120);
  });

  it("resolves with what was measured so far when aborted", async () => {
    const transport = createFakeTransport(3);
    const result = await runFake(
      { qps: 100, connections: 2, numRequests: 1000, warmupMs: 0 },
      transport,
      2_000,
      { abortAtMs: 205 },
    );
    expect(result.aborted).toBe(true);
    expect(transport.sends).toHaveLength(21);
    expect(result.requests).toBe(21);
    expect(result.latency.count).toBe(21);
  });

  it("runs a closed loop as fast as the connections allow when qps is 0", async () => {
    const transport = createFakeTransport(10);
    const result = await runFake(
      { qps: 0, connections: 3, numRequests: 30, warmupMs: 0 },
      transport,
      2_000,
    );
    expect(result.requests).toBe(30);
    expect(transport.sends.filter((t) => t === 0)).toHaveLength(3);
    expect(result.endTime - result.measureStart).toBe(100);
    expect(result.dispatchLag).toBeUndefined();
    expect(result.queueWait.count).toBe(0);
    expect(result.serviceTime.count).toBe(30);
  });

  it("counts statuses, error statuses and transport failures; failures carry no latency", async () => {
    const outcomes = [
      { status: 200 },
      { status: 404 },
      { status: 503 },
      { status: 0, errorClass: "refused" as const },
      { status: 0, errorClass: "timeout" as const },
      { status: 200 },
    ];
    const transport = createFakeTransport(1, (i) => outcomes[i] ?? { status: 200 });
    const result = await runFake(
      { qps: 0, connections: 1, numRequests: 6, warmupMs: 0, errorRanges: [{ lower: 500 }] },
      transport,
      1_000,
    );
    expect(result.statusCodes).toEqual({ "200": 2, "404": 1, "503": 1 });
    expect(result.errorClasses).toEqual({ refused: 1, timeout: 1 });
    expect(result.errors).toBe(3);
    expect(result.latency.count).toBe(4);
  });

  it("counts requests that never answer as timeouts once the timeout has passed", async () => {
    const transport = createFakeTransport(Number.POSITIVE_INFINITY);
    const result = await runFake(
      { qps: 0, connections: 2, numRequests: 2, warmupMs: 0, timeoutMs: 100 },
      transport,
      5_000,
    );
    expect(result.requests).toBe(2);
    expect(result.errorClasses).toEqual({ timeout: 2 });
  });

  it("reports progress every 500 ms and keeps one timeline sample per second", async () => {
    const transport = createFakeTransport(2);
    const progress: LoadProgress[] = [];
    const result = await runFake(
      { qps: 100, connections: 2, durationMs: 3_000, warmupMs: 0 },
      transport,
      10_000,
      { onProgress: (p) => progress.push(p) },
    );
    const measuring = progress.filter((p) => p.phase === "measure");
    expect(measuring.length).toBeGreaterThanOrEqual(6);
    expect(measuring[0]?.elapsedMs).toBe(500);
    expect(measuring[1]).toMatchObject({ elapsedMs: 1000, sent: 100, rate: 100 });
    expect(measuring[1]?.etaMs).toBe(2000);
    // Two full seconds, then a last sample when the final request (sent at 2990 ms) is done.
    expect(result.timeline.map((p) => p.elapsedMs)).toEqual([1000, 2000, 2992]);
    expect(result.timeline.at(-1)?.completed).toBe(300);
    expect(result.timeline[0]).toMatchObject({ p50Ms: 2, p99Ms: 2 });
  });

  it("hands each timeline sample to onSample with the latency histogram of its interval alone", async () => {
    // 2 ms answers, 20 ms during the second second (requests 100..199 of 300).
    const transport = createFakeTransport((i) => (i >= 100 && i < 200 ? 20 : 2));
    const samples: Array<{ sample: LoadProgress; count: number; min: number; max: number }> = [];
    const progress: LoadProgress[] = [];
    const result = await runFake(
      { qps: 100, connections: 4, numRequests: 300, warmupMs: 0 },
      transport,
      10_000,
      {
        onProgress: (p) => progress.push(p),
        onSample: (sample, interval) =>
          samples.push({ sample, count: interval.count, min: interval.min, max: interval.max }),
      },
    );
    expect(samples.map((s) => s.sample)).toEqual(result.timeline);
    // Each sample reached onProgress too, after onSample.
    for (const { sample } of samples) expect(progress).toContain(sample);
    // The histogram holds the responses completed in that interval only.
    const counts = result.timeline.map(
      (s, i) => s.completed - (result.timeline[i - 1]?.completed ?? 0),
    );
    expect(samples.map((s) => s.count)).toEqual(counts);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    expect(samples[0]).toMatchObject({ min: 2000, max: 2000 });
    expect(result.timeline[0]).toMatchObject({ p50Ms: 2, p99Ms: 2 });
    expect(result.timeline[1]?.p50Ms).toBe(20);
    expect(result.timeline[2]?.p50Ms).toBe(2);
  });

  it("counts timeline seconds from the start of measuring when it lies ahead of the run's start", async () => {
    // As on a worker thread, told to start 20 ms from now; a paced warm-up of 3 requests first.
    const transport = createFakeTransport(2);
    const result = await runFake(
      { qps: 100, connections: 2, durationMs: 2_000, warmupRequests: 3 },
      transport,
      10_000,
      { startAt: 20 },
    );
    expect(transport.sends[0]).toBe(20);
    expect(result.measureStart).toBe(50);
    expect(result.timeline.map((p) => p.elapsedMs)).toEqual([1000, 1992]);
    expect(result.timeline[0]?.completed).toBe(100);
  });
  it("sends every request due at a wake in that one wake, none early, then one wake per due time", async () => {
    // The first wake comes 5 ms late (a busy thread): requests 0..5 are due by then. Answers take
    // 100 ms and lanes are plenty, so only wakes send.
    const transport = createFakeTransport(100);
    const wakes: Array<{ at: number; sendsBefore: number }> = [];
    const lateWaker: CreateWaker = (clock, onWake) => {
      const inner = createTimerWaker(clock, () => {
        if (wakes.length === 0) vi.setSystemTime(Date.now() + 5);
        wakes.push({ at: Date.now(), sendsBefore: transport.sends.length });
        onWake();
      });
      return inner;
    };
    const result = await runFake(
      { qps: 1000, connections: 30, numRequests: 20, warmupMs: 0 },
      transport,
      1_000,
      { createWaker: lateWaker },
    );
    expect(result.requests).toBe(20);
    // One wake for the six that were due, then one per request.
    expect(wakes).toHaveLength(15);
    expect(transport.sends.slice(0, 6)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(wakes[1]).toEqual({ at: 6, sendsBefore: 6 });
    transport.sends.forEach((sentAt, i) => expect(sentAt).toBeGreaterThanOrEqual(i));
    expect(transport.sends.slice(6)).toEqual(Array.from({ length: 14 }, (_, i) => i + 6));
    // Request i waited 5 - i ms for the late wake.
    expect(result.dispatchLag?.max).toBe(5000);
    expect(result.dispatchLag?.min).toBe(0);
  });

  it("sends the requests due within earlyMs of a wake in that wake, none earlier, one wake per group", async () => {
    // A request every ms; a wake may also send what is due up to 2.5 ms later. Answers take
    // 100 ms and lanes are plenty, so only wakes send.
    const transport = createFakeTransport(100);
    const wakes: number[] = [];
    const arms: Array<[number, number | undefined]> = [];
    const counting: CreateWaker = (clock, onWake) => {
      const inner = createTimerWaker(clock, () => {
        wakes.push(Date.now());
        onWake();
      });
      return {
        arm(at: number, next?: number) {
          arms.push([at, next]);
          inner.arm(at, next);
        },
        close: () => inner.close(),
      };
    };
    const result = await runFake(
      { qps: 1000, connections: 30, numRequests: 12, warmupMs: 0 },
      transport,
      1_000,
      { createWaker: counting, earlyMs: 2.5 },
    );
    expect(result.requests).toBe(12);
    expect(wakes).toEqual([0, 3, 6, 9]);
    expect(transport.sends).toEqual([0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9, 9]);
    transport.sends.forEach((sentAt, due) => {
      expect(sentAt).toBeLessThanOrEqual(due);
      expect(due - sentAt).toBeLessThanOrEqual(2.5);
    });
    // Each target's hint is the next group's first due time.
    expect(arms).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
      [9, 12],
    ]);
    // Latency runs from the actual send (100 ms for all), not from the later due time.
    expect(result.latency.min).toBe(100_000);
    expect(result.latency.max).toBe(100_000);
    // Every request has a lag: the four sent at their due time and the eight early ones, which
    // were not late (0), not left out (a sample of only the wake-sent ones would skew the p99).
    expect(result.dispatchLag?.count).toBe(12);
    expect(result.dispatchLag?.max).toBe(0);
    expect(result.queueWait.count).toBe(12);
    expect(result.queueWait.max).toBe(0);
  });

  it("sends a request due within earlyMs of an answer with that answer, early by at most earlyMs", async () => {
    // One connection, a request every 10 ms, each answered after 8 ms: the answers at 8 and 28 come
    // 2 ms before the next due time and send it; the one at 18 comes 4 ms before, too early.
    const transport = createFakeTransport(8);
    const result = await runFake(
      { qps: 100, connections: 1, numRequests: 4, warmupMs: 0 },
      transport,
      1_000,
      { earlyMs: 2.5 },
    );
    expect(result.requests).toBe(4);
    expect(transport.sends).toEqual([0, 8, 20, 28]);
    expect(result.latency.min).toBe(8000);
    expect(result.latency.max).toBe(8000);
    // All four have a lag: the two sent at their due time and the two early ones, at 0.
    expect(result.dispatchLag?.count).toBe(4);
    expect(result.dispatchLag?.max).toBe(0);
    expect(result.serviceTime.count).toBe(4);
  });

  it("never sends early with earlyMs 0, even when an answer frees a lane just before a due time", async () => {
    const transport = createFakeTransport(8);
    const result = await runFake(
      { qps: 100, connections: 1, numRequests: 4, warmupMs: 0 },
      transport,
      1_000,
      { earlyMs: 0 },
    );
    expect(transport.sends).toEqual([0, 10, 20, 30]);
    expect(result.dispatchLag?.count).toBe(4);
  });

  it("groups the requests due within the wake gap into one wake each, none early by a whole gap", async () => {
    // A request every ms and a wake gap of 5 ms: each wake carries five requests, the first at its
    // due time and four early (by 1-4 ms, under the 4.25 ms window), and its hint is the next group.
    const transport = createFakeTransport(100);
    const wakes: number[] = [];
    const arms: Array<[number, number | undefined]> = [];
    const counting: CreateWaker = (clock, onWake) => {
      const inner = createTimerWaker(clock, () => {
        wakes.push(Date.now());
        onWake();
      });
      return {
        arm(at: number, next?: number) {
          arms.push([at, next]);
          inner.arm(at, next);
        },
        close: () => inner.close(),
      };
    };
    const result = await runFake(
      { qps: 1000, connections: 30, numRequests: 15, warmupMs: 0 },
      transport,
      1_000,
      { createWaker: counting, earlyMs: 0.25, wakeGroup: { gapMs: 5, min: 2, max: 10 } },
    );
    expect(result.requests).toBe(15);
    expect(wakes).toEqual([0, 5, 10]);
    expect(transport.sends).toEqual([0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 10, 10, 10]);
    transport.sends.forEach((sentAt, due) => {
      expect(sentAt).toBeLessThanOrEqual(due);
      expect(due - sentAt).toBeLessThan(5);
    });
    expect(arms).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
    ]);
    expect(result.dispatchLag?.count).toBe(15);
    expect(result.dispatchLag?.max).toBe(0);
  });

  it("caps a wake's group at wakeGroup.max requests, so wakes come that many requests apart", async () => {
    // A request every ms, a 5 ms gap but at most three per wake: wakes every 3 ms.
    const transport = createFakeTransport(100);
    const arms: Array<[number, number | undefined]> = [];
    const recording: CreateWaker = (clock, onWake) => {
      const inner = createTimerWaker(clock, onWake);
      return {
        arm(at: number, next?: number) {
          arms.push([at, next]);
          inner.arm(at, next);
        },
        close: () => inner.close(),
      };
    };
    const result = await runFake(
      { qps: 1000, connections: 30, numRequests: 9, warmupMs: 0 },
      transport,
      1_000,
      { createWaker: recording, earlyMs: 0.25, wakeGroup: { gapMs: 5, min: 2, max: 3 } },
    );
    expect(result.requests).toBe(9);
    expect(transport.sends).toEqual([0, 0, 0, 3, 3, 3, 6, 6, 6]);
    expect(arms).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
    ]);
  });

  it("keeps each wake's group whole when the wake comes late, and answers send nothing early", async () => {
    // Groups of five (a request every ms, wake gap 5 ms); every wake comes 0.9 ms late. A window
    // counted from the late wake (0.9 + 4.25 ms) would take the next group's first request too,
    // and the waker's hint would be wrong. Answers come 3 ms after each send, 1 ms or less
    // before the next due time: with groups they send nothing early.
    const transport = createFakeTransport(3);
    const wakes: number[] = [];
    const arms: number[] = [];
    const late: CreateWaker = (clock, onWake) => {
      const inner = createTimerWaker(clock, () => {
        wakes.push(Date.now());
        onWake();
      });
      return {
        arm(at: number, next?: number) {
          arms.push(at);
          inner.arm(at + 0.9, next === undefined ? undefined : next + 0.9);
        },
        close: () => inner.close(),
      };
    };
    const result = await runFake(
      { qps: 1000, connections: 30, numRequests: 15, warmupMs: 0 },
      transport,
      1_000,
      { createWaker: late, earlyMs: 0.25, wakeGroup: { gapMs: 5, min: 2, max: 10 } },
    );
    expect(result.requests).toBe(15);
    expect(arms).toEqual([0, 5, 10]);
    // Fake timers fire on whole milliseconds: 0.9 ms late is 1 ms.
    expect(wakes).toEqual([1, 6, 11]);
    expect(transport.sends).toEqual([1, 1, 1, 1, 1, 6, 6, 6, 6, 6, 11, 11, 11, 11, 11]);
    // The first of each group was 1 ms late; the rest left early (lag 0).
    expect(result.dispatchLag?.max).toBe(1000);
    expect(result.dispatchLag?.count).toBe(15);
  });

  it("tells the waker the schedule's next due time with each target", async () => {
    const transport = createFakeTransport(1);
    const arms: Array<[number, number | undefined]> = [];
    const recording: CreateWaker = (clock, onWake) => {
      const inner = createTimerWaker(clock, onWake);
      return {
        arm(at: number, next?: number) {
          arms.push([at, next]);
          inner.arm(at, next);
        },
        close: () => inner.close(),
      };
    };
    await runFake({ qps: 200, connections: 2, numRequests: 6, warmupMs: 0 }, transport, 1_000, {
      createWaker: recording,
    });
    for (const [at, next] of arms) expect(next).toBe(at + 5);
    // Each due time is armed once: the pumps of answers in between do not arm it again.
    expect(arms.map(([at]) => at)).toEqual([0, 5, 10, 15, 20, 25]);
  });

  it("counts the time spent on earlier outcomes of the same turn as dispatch lag, not queue wait", async () => {
    // Two lanes, a request every ms. Requests 0 and 1 are answered together at 10 ms, in one
    // turn, and handling the first answer takes the generator 3 ms.
    const sends: number[] = [];
    let sink: OutcomeSink | undefined;
    const create: CreateTransport = (_lanes, s) => {
      sink = s;
      const lanesOf: number[] = [];
      return {
        send(lane: number) {
          sends.push(Date.now());
          lanesOf.push(lane);
          if (sends.length === 2) {
            setTimeout(() => {
              sink?.onOutcome(lanesOf[0] as number, 200, undefined);
              vi.setSystemTime(Date.now() + 3);
              sink?.onOutcome(lanesOf[1] as number, 200, undefined);
            }, 9);
          } else if (sends.length > 2) {
            const l = lane;
            setTimeout(() => sink?.onOutcome(l, 200, undefined), 1);
          }
        },
        destroy: () => Promise.resolve(),
      };
    };
    const result = await runFake(
      { qps: 1000, connections: 2, numRequests: 4, warmupMs: 0 },
      { create },
      1_000,
    );
    expect(result.requests).toBe(4);
    // Request 2 (due at 2) leaves at 10 with the first answer, request 3 (due at 3) at 13.
    expect(sends).toEqual([0, 1, 10, 13]);
    // Both were ready at 10, when the turn's answers began: 8 and 7 ms of queue wait; request 3
    // then waited 3 ms for the generator itself.
    expect(result.queueWait.max).toBe(8000);
    expect(result.queueWait.min).toBe(0);
    expect(result.dispatchLag?.max).toBe(3000);
  });
});
