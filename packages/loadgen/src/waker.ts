import { Worker } from "node:worker_threads";

/** A clock in milliseconds (the engine's timebase; `performance.now()` in production). */
export type Clock = () => number;

/**
 * Calls back at (never before) a clock time. `arm(at)` replaces any earlier target; the callback
 * runs once per arming, asynchronously (never from inside `arm`).
 */
export interface Waker {
  /**
   * Wakes at `at`. `next`, when given, is the target that will most likely follow (the schedule's
   * next due time): a waker that plans ahead may start towards it right after this wake, so the
   * following `arm(next)` costs nothing. A hint only: it never causes a wake by itself.
   */
  arm(at: number, next?: number): void;
  close(): void;
  /** The usual time between targets changed (a rate ramp): wakers that plan ahead adapt. */
  retune?(intervalMs: number): void;
}

/** Builds a waker that calls `onWake` on `clock`'s timebase. */
export type CreateWaker = (clock: Clock, onWake: () => void) => Waker;

/**
 * A waker on `setTimeout`: millisecond resolution (Node's timers), so up to ~1-2 ms late. Pure
 * JavaScript timers, which is what makes the engine testable with fake timers.
 */
export const createTimerWaker: CreateWaker = (clock, onWake) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedAt = Number.NaN;
  const fire = (): void => {
    // Node's timers run on a millisecond loop clock and can fire up to 1 ms early: wait the rest.
    const rest = armedAt - clock();
    if (rest > 0) {
      timer = setTimeout(fire, Math.ceil(rest));
      return;
    }
    timer = undefined;
    armedAt = Number.NaN;
    onWake();
  };
  return {
    arm(at: number): void {
      if (at === armedAt && timer !== undefined) return;
      if (timer !== undefined) clearTimeout(timer);
      armedAt = at;
      timer = setTimeout(fire, Math.max(0, at - clock()));
    },
    close(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
};

/**
 * `process.hrtime()` minus `clock()`, in ms: read back to back several times, keeping the tightest
 * pair (first calls are slow while the functions warm up). Accurate to about a microsecond.
 * (The clock thread's source repeats this logic.)
 */
export function calibrateOffsetMs(clock: () => number = () => performance.now()): number {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const a = process.hrtime();
    const c = clock();
    const b = process.hrtime();
    const before = a[0] * 1e3 + a[1] / 1e6;
    const after = b[0] * 1e3 + b[1] / 1e6;
    if (after - before < best) {
      best = after - before;
      offset = (before + after) / 2 - c;
    }
  }
  return offset;
}

// Shared memory layout between the engine thread and its clock thread.
const WAKE = 0; // Int32: bumped by the clock thread each time a target is reached
const COMMAND = 1; // Int32: bumped by the engine thread each time it sets a new target
const READY = 2; // Int32: set to 1 by the clock thread once it runs
const SLEEP_UNTIL = 3; // Int32: when the clock thread's current sleep ends, in SLEEP_UNIT_MS since `baseMs` (rounded up)
// Bytes 16..23 (Float64): the target on the engine thread's clock; NaN tells the clock thread to stop.
// Bytes 24..31 and 32..39 (Float64): the current interval between targets and spin time (ms).
// Bytes 40..47 (Float64): the likely target after the current one (the `next` hint), or NaN.
const TARGET = 0;
const INTERVAL = 1;
const SPIN = 2;
const NEXT = 3;
const SLEEP_UNIT_MS = 0.01;
/** A wake this much before the armed time is a stale one (for an earlier target). */
const STALE_WAKE_MS = 0.05;
/** A sleep that ends less than this before the target is followed by a spin, not another sleep. */
const RESLEEP_MS = 0.05;
/** SLEEP_UNTIL when the clock thread waits for a command without a timeout. */
const PARKED = 0x7fffffff;

/**
 * The clock thread. It sleeps on a futex until shortly before the target, spins at most `spinMs`
 * the rest of the way on `performance.now()`, then notifies the engine thread. Futex sleeps end
 * late (the wake-up plus up to the timer slack, set to 1 µs where Linux lets it); the thread learns by
 * how much and goes to sleep that much earlier (waking early, it sleeps again rather than spin
 * long: it may share a core with the engine thread, which must not be starved; but a rest under
 * `RESLEEP_MS` it spins, as a second sleep costs more CPU than that). After a wake it
 * heads for the engine's hint of the next target (`arm(at, next)`), or without one lingers (sleeps)
 * until about one interval later, when the engine thread has set the next target, so the engine
 * thread need not wake it: it only notifies when its target is earlier than the published end of
 * the clock thread's sleep, or when the clock thread is parked. Plain JavaScript, so it runs the
 * same from `src` (vitest) and from `dist`.
 */
const CLOCK_THREAD_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { readlinkSync, writeFileSync } = require("node:fs");
const { buffer, engineOffsetMs, baseMs } = workerData;
// Linux lets timed sleeps end up to a thread's timer slack (50 µs by default) late, to batch
// wake-ups; this thread exists to wake on time, so it asks for 1 µs (its own setting only: a
// thread may change its own slack without privileges). Elsewhere it learns the lateness instead.
try {
  const tid = readlinkSync("/proc/thread-self").split("/").pop();
  writeFileSync("/proc/" + tid + "/timerslack_ns", "1000");
} catch {}
const i32 = new Int32Array(buffer, 0, 4);
const f64 = new Float64Array(buffer, 16, 4);
let best = Infinity;
let localOffsetMs = 0;
for (let i = 0; i < 20; i++) {
  const a = process.hrtime();
  const c = performance.now();
  const b = process.hrtime();
  const before = a[0] * 1e3 + a[1] / 1e6;
  const after = b[0] * 1e3 + b[1] / 1e6;
  if (after - before < best) { best = after - before; localOffsetMs = (before + after) / 2 - c; }
}
// The engine thread's clock: its performance.now(), through the process-wide hrtime.
const delta = localOffsetMs - engineOffsetMs;
const now = () => performance.now() + delta;
// How late futex sleeps end, tracked as a lower envelope (drops at once, creeps up slowly): sleeping
// that much less rarely wakes the thread more than spinMs early, so it never spins for long.
let lateMs = 0;
let seen = 0;
function publish(until) {
  const units = until === Infinity ? ${PARKED} : Math.ceil((until - baseMs) / ${SLEEP_UNIT_MS});
  Atomics.store(i32, ${SLEEP_UNTIL}, Math.min(${PARKED}, Math.max(-${PARKED}, units)));
}
// True when the engine has set a target other than "target" since the last look. A command for
// "target" itself (the engine's usual arm() for the target it hinted) is taken in passing, so the
// sleep or spin towards it goes on.
function replaced(target) {
  const command = Atomics.load(i32, ${COMMAND});
  if (command === seen) return false;
  if (f64[${TARGET}] !== target) return true;
  seen = command;
  return false;
}
// Sleeps until engine time "until" (on the way to "target", NaN for none) unless another target
// is set; true when one was.
function sleepUntil(until, target) {
  publish(until);
  if (replaced(target)) return true;
  const ms = until - now();
  if (ms <= 0) return false;
  if (Atomics.wait(i32, ${COMMAND}, seen, ms) !== "timed-out") return replaced(target);
  const late = now() - until;
  lateMs = late < lateMs ? Math.max(0, late) : Math.min(0.2, lateMs + 0.001);
  return false;
}
Atomics.store(i32, ${READY}, 1);
let lastWake = NaN; // the last target reached
let planned = NaN; // the next target, taken from the engine's hint rather than commanded
for (;;) {
  // The engine thread may retune these as the rate ramps; plain reads are enough for hints.
  const intervalMs = f64[${INTERVAL}];
  const spinMs = f64[${SPIN}];
  let target;
  if (Atomics.load(i32, ${COMMAND}) === seen && planned === planned) {
    // The engine said where the schedule goes next: head there now, so its arm() for that target
    // (the usual case) needs no notify. A command that arrives meanwhile replaces it.
    target = planned;
  } else {
    if (Atomics.load(i32, ${COMMAND}) === seen) {
      const lingerUntil = lastWake + intervalMs - spinMs - lateMs;
      const commanded = lingerUntil > now() && sleepUntil(lingerUntil, NaN);
      if (!commanded && Atomics.load(i32, ${COMMAND}) === seen) {
        publish(Infinity);
        if (Atomics.load(i32, ${COMMAND}) === seen) Atomics.wait(i32, ${COMMAND}, seen);
      }
    }
    seen = Atomics.load(i32, ${COMMAND});
    target = f64[${TARGET}];
  }
  planned = NaN;
  if (target !== target) break;
  let commanded = false;
  let slept = false;
  for (;;) {
    const rest = target - now();
    // After a sleep that ended early, spin a short rest rather than sleep again: a second futex
    // sleep and wake-up costs more CPU than ${RESLEEP_MS * 1000} µs of spinning (about 40 µs on a VM).
    if (rest <= spinMs || (slept && rest <= ${RESLEEP_MS})) break;
    if (sleepUntil(target - spinMs - (rest - spinMs > lateMs ? lateMs : 0), target)) {
      commanded = true;
      break;
    }
    slept = true;
  }
  if (commanded) continue;
  publish(target);
  // Spin the rest of the way, and look for a new command at least once: a sleep that ended past
  // the target (late by more than the envelope) must not wake the engine for a replaced target.
  let moved = false;
  for (;;) {
    if (replaced(target)) { moved = true; break; }
    if (now() >= target) break;
  }
  if (moved) continue;
  lastWake = target;
  Atomics.add(i32, ${WAKE}, 1);
  Atomics.notify(i32, ${WAKE});
  const next = f64[${NEXT}];
  if (next > target) planned = next;
}
`;

/** `Atomics.waitAsync` (ES2024; in Node since 16), typed here because the project's lib is ES2023. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/**
 * How long the clock thread spins before each wake: a two-hundredth of the time between wakes,
 * between 5 and 20 µs (at most 0.5% of a core). It asks for 1 µs of timer slack and learns how late
 * its futex sleeps still end, sleeping that much less, so the spin only has to cover their jitter
 * (29-55 µs late at p10-p90 with 1 µs slack on a loaded VM, against 78-103 µs with the default 50
 * µs).
 */
export function spinForInterval(intervalMs: number): number {
  return Math.min(0.02, Math.max(0.005, intervalMs / 200));
}

/** Options of the precision waker. */
export interface PrecisionWakerOptions {
  /** How long before a target the clock thread stops sleeping and spins (ms); bounds its CPU use. */
  spinMs: number;
  /** The usual time between targets (ms), e.g. the pacer's interval; the clock thread lingers that long. */
  intervalMs: number;
}

/**
 * A sub-millisecond waker that does not burn the engine thread: a small clock thread sleeps
 * (futex with a timeout) until just before the target, spins for at most `spinMs`, and wakes the
 * engine thread through `Atomics.waitAsync`. The engine thread stays free for I/O meanwhile.
 * Falls back to the timer waker where `Atomics.waitAsync` is missing.
 */
export function createPrecisionWaker(options: PrecisionWakerOptions): CreateWaker {
  return (clock, onWake) => {
    const atomics = Atomics as unknown as { waitAsync?: WaitAsync };
    const waitAsync = atomics.waitAsync?.bind(Atomics);
    if (waitAsync === undefined) return createTimerWaker(clock, onWake);
    const buffer = new SharedArrayBuffer(48);
    const i32 = new Int32Array(buffer, 0, 4);
    const f64 = new Float64Array(buffer, 16, 4);
    f64[NEXT] = Number.NaN;
    f64[INTERVAL] = options.intervalMs;
    f64[SPIN] = options.spinMs;
    // Both threads translate their own clock onto process.hrtime() (one monotonic clock).
    const engineOffsetMs = calibrateOffsetMs(clock);
    const baseMs = clock();
    Atomics.store(i32, SLEEP_UNTIL, PARKED);
    const worker = new Worker(CLOCK_THREAD_SOURCE, {
      eval: true,
      workerData: { buffer, engineOffsetMs, baseMs },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on("error", () => undefined);

    let armedAt = Number.NaN;
    let waiting = false;
    let closed = false;
    const wait = (generation: number): void => {
      waiting = true;
      const result = waitAsync(i32, WAKE, generation);
      if (result.async) void result.value.then(resolved);
      else setImmediate(resolved);
    };
    const resolved = (): void => {
      waiting = false;
      // Nothing armed: this arming's wake came already (from the start-up timer), or the clock
      // thread reached a hinted target the engine never armed. Once per arming, never more.
      if (closed || Number.isNaN(armedAt)) return;
      const early = armedAt - clock();
      if (early > STALE_WAKE_MS) {
        // A wake for an earlier target that crossed a re-arming: the clock thread has the
        // current target and will wake us again.
        wait(Atomics.load(i32, WAKE));
        return;
      }
      // Never early, not even by the clocks' calibration error (microseconds).
      while (clock() < armedAt) {
        // spin
      }
      armedAt = Number.NaN;
      onWake();
    };
    // Until the clock thread runs (starting a thread takes tens of ms, more on a busy machine),
    // a timer wakes the engine too, so the first requests are never held up.
    let ready = false;
    const fallback = createTimerWaker(clock, () => {
      if (closed) return;
      armedAt = Number.NaN;
      onWake();
    });
    return {
      arm(at: number, next?: number): void {
        if (closed || at === armedAt) return;
        armedAt = at;
        f64[NEXT] = next ?? Number.NaN;
        if (!ready) {
          ready = Atomics.load(i32, READY) === 1;
          if (ready) fallback.close();
          else fallback.arm(at);
        }
        // Read the wake generation before commanding, so a wake that follows at once is not missed.
        const generation = Atomics.load(i32, WAKE);
        f64[TARGET] = at;
        Atomics.add(i32, COMMAND, 1);
        // Wake the clock thread only when it waits without a timeout or its sleep ends after this
        // target; otherwise it finds the target when its sleep ends, with time to spare.
        const sleepUntil = Atomics.load(i32, SLEEP_UNTIL);
        if (sleepUntil === PARKED || at < baseMs + sleepUntil * SLEEP_UNIT_MS) {
          Atomics.notify(i32, COMMAND);
        }
        if (!waiting) wait(generation);
      },
      retune(intervalMs: number): void {
        f64[INTERVAL] = intervalMs;
        f64[SPIN] = spinForInterval(intervalMs);
      },
      close(): void {
        if (closed) return;
        closed = true;
        fallback.close();
        f64[TARGET] = Number.NaN;
        Atomics.add(i32, COMMAND, 1);
        Atomics.notify(i32, COMMAND);
        // Release a pending waitAsync so nothing lingers.
        Atomics.add(i32, WAKE, 1);
        Atomics.notify(i32, WAKE);
      },
    };
  };
}
