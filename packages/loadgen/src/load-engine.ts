import { LatencyHistogram } from "@iter8/metrics";
import { TRANSPORT_ERROR_CLASSES } from "./outcome.js";
import type { Pacer } from "./pacer.js";
import type { CreateTransport, OutcomeSink, Transport, TransportStats } from "./transport.js";
import type { LoadProgress, TransportErrorClass } from "./types.js";
import type { Clock, CreateWaker, Waker } from "./waker.js";

/** The paced schedule of this engine's share of a run. */
export interface EnginePacing {
  pacer: Pacer;
  /** Clock time at which the run's first measured request is due (after the warm-up). */
  measureStartAt: number;
  /** Clock time at which the run's schedule ends (count or duration), for `durationMs`. */
  windowEndAt: number;
  /**
   * A request due within this many ms of a send opportunity (a wake, or an answer freeing a lane)
   * leaves then, early by at most this much, so that one wake carries requests due close together
   * (0: never early). Its latency is measured from its actual send; its dispatch lag and queue
   * wait are 0 (it was not late, and waited for nothing). `wakeGroup` widens it for wakes.
   */
  earlyMs: number;
  /**
   * How a wake carries the requests due soon after its target (undefined: never more than
   * `earlyMs` allows; see `sendWindows`): each thread wake-up costs far more CPU than a request
   * (tens of µs on a VM).
   */
  wakeGroup: WakeGroup | undefined;
}

/** When and how far a wake carries the requests due after its target (see `sendWindows`). */
export interface WakeGroup {
  /** The least time between wakes the engine aims for (ms). */
  gapMs: number;
  /** A wake carries a group only when at least this many requests (≥ 2) fall due within `gapMs`. */
  min: number;
  /** A wake carries at most this many requests (bounds the burst one wake sends). */
  max: number;
}

/** How early paced requests may leave at a send opportunity (see `sendWindows`), in ms. */
export interface SendWindows {
  /** At a wake for due time T: the requests due by T + `wake` leave with it. */
  wake: number;
  /** At an answer that frees a lane, at time t: a request due by t + `answer` leaves with it. */
  answer: number;
}

/**
 * How early paced requests may leave when they are due `intervalMs` apart. Normally both windows
 * are `earlyMs`. When at least `group.min` requests fall due within `group.gapMs`, a wake carries
 * the k = min(⌊gapMs / intervalMs⌋, `group.max`) requests due from its target on ((k − 0.75)
 * intervals: a quarter interval spare for rounding, under `gapMs`), so wakes come about every
 * k intervals and no request leaves a whole `gapMs` early; answers then send nothing early, so
 * each wake's group stays whole and the target after it is known in advance (the waker's hint).
 */
export function sendWindows(
  intervalMs: number,
  earlyMs: number,
  group: WakeGroup | undefined,
): SendWindows {
  const fit = group === undefined ? 0 : Math.floor(group.gapMs / intervalMs);
  if (group === undefined || !(fit >= Math.max(2, group.min))) {
    return { wake: earlyMs, answer: earlyMs };
  }
  const perWake = Math.min(fit, group.max);
  return { wake: Math.max(earlyMs, (perWake - 0.75) * intervalMs), answer: 0 };
}

/** What one engine (one thread) runs. Counts are this engine's share; times are on its clock. */
export interface EngineConfig {
  /** Requests in flight at most (connections × pipelining). */
  lanes: number;
  /** Paced (open model) when set; otherwise as fast as the lanes allow (closed loop). */
  pacing?: EnginePacing;
  /** Unpaced: clock time at which sending starts. Paced runs start at the pacer's first due time. */
  startAt: number;
  /** Warm-up requests (paced: exactly this many; unpaced: at most this many). */
  warmupRequests: number;
  /** Unpaced: the warm-up ends this long after `startAt` at the latest (Infinity: count only). */
  warmupMs: number;
  /** Measured requests (Infinity: duration only). */
  measuredRequests: number;
  /** Measured duration (Infinity: count only). */
  durationMs: number;
  /** Per-request timeout; requests still in flight this long (+1 s slack) after the last send are timeouts. */
  timeoutMs: number;
  /** `errorStatus[status] === 1` when the status counts as an error. */
  errorStatus: Uint8Array;
  /** Progress is reported this often (ms). */
  progressIntervalMs: number;
  /** One timeline sample every this many progress reports. */
  timelineEvery: number;
}

/** What the engine needs from the outside world (injectable for tests). */
export interface EngineDeps {
  clock: Clock;
  createWaker: CreateWaker;
  createTransport: CreateTransport;
}

/** The raw measurement of one engine, on its own clock. */
export interface EngineResult {
  aborted: boolean;
  requests: number;
  errors: number;
  statusCodes: Record<string, number>;
  errorClasses: Record<string, number>;
  /** Clock time measuring started (NaN when it never did). */
  measureStart: number;
  /** Clock time measuring ended. */
  endTime: number;
  latency: LatencyHistogram;
  serviceTime: LatencyHistogram;
  queueWait: LatencyHistogram;
  /** Dispatch lag in µs (paced runs only). */
  dispatchLag: LatencyHistogram | undefined;
  warmupRequests: number;
  timeline: LoadProgress[];
  /** The transport's own figures of the measured requests, when it keeps any. */
  transportStats?: TransportStats;
}

/** What `LoadEngine.run` accepts: abort, progress, and (for worker threads) each timeline sample. */
export interface EngineControl {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /**
   * Called with each timeline sample and the latency histogram (µs) of its interval, before
   * `onProgress` gets the same sample. The histogram is reused: read it before returning.
   */
  onSample?: (sample: LoadProgress, interval: LatencyHistogram) => void;
}

const IDLE = 0;
const WARMUP = 1;
const MEASURED = 2;

/** A paced request may leave this late past the measured deadline (scheduler lag), no later. */
const DEADLINE_LAG_TOLERANCE_MS = 5;
/** Slack past `timeoutMs` for undici's coarse timers before in-flight requests count as timeouts. */
const TIMEOUT_SLACK_MS = 1000;

type Phase = "idle" | "warmup" | "measure" | "drain" | "done";

/**
 * The load engine of one thread: lanes (request slots), the schedule, and the recorder. It sends
 * through a `Transport`, hears outcomes through `OutcomeSink`, and wakes through a `Waker`; the hot
 * path (outcome → record → send next) allocates nothing per request.
 */
export class LoadEngine implements OutcomeSink {
  readonly #config: EngineConfig;
  readonly #clock: Clock;
  readonly #transport: Transport;
  readonly #waker: Waker | undefined;
  readonly #pacing: EnginePacing | undefined;

  // Lanes: a ring of free lanes and what each busy lane carries.
  readonly #free: Int32Array;
  #freeHead = 0;
  #freeCount: number;
  /** Since when at least one lane has been free (for queue wait and dispatch lag). */
  #freeSince = Number.NEGATIVE_INFINITY;
  /**
   * When the engine began handling the outcomes of this event-loop turn (NaN between turns). An
   * outcome handled late in a turn was ready when the turn began: the time spent on the outcomes
   * before it is the generator's own delay, not the server's.
   */
  #turnStart = Number.NaN;
  readonly #endTurn = (): void => {
    this.#turnStart = Number.NaN;
  };
  readonly #laneKind: Uint8Array;
  readonly #laneIntended: Float64Array;
  readonly #laneSent: Float64Array;

  // Schedule.
  #phase: Phase = "idle";
  #nextIndex = 0;
  #warmupSent = 0;
  #measuredSent = 0;
  #measuredInFlight = 0;
  #measureStart = Number.NaN;
  #deadline = Number.POSITIVE_INFINITY;
  #pumping = false;
  /** The due time the waker is armed for (NaN once it woke): answers need not arm it again. */
  #armedFor = Number.NaN;
  /** How early requests may leave at the current rate (see `sendWindows`). */
  #windows: SendWindows = { wake: 0, answer: 0 };

  // Recorder.
  #completed = 0;
  #errors = 0;
  #lastCompletion = Number.NaN;
  readonly #statusCounts = new Float64Array(1000);
  readonly #otherStatusCounts = new Map<number, number>();
  readonly #errorClassCounts = new Map<TransportErrorClass, number>();
  readonly #latency = new LatencyHistogram();
  readonly #serviceTime = new LatencyHistogram();
  readonly #queueWait = new LatencyHistogram();
  readonly #dispatchLag = new LatencyHistogram();
  readonly #interval = new LatencyHistogram();

  // Progress.
  #onProgress: ((p: LoadProgress) => void) | undefined;
  #onSample: EngineControl["onSample"];
  readonly #timeline: LoadProgress[] = [];
  #ticks = 0;
  #lastTickAt = Number.NaN;
  #lastTickCompleted = 0;
  #lastSampleAt = Number.NaN;
  #lastSampleCompleted = 0;
  #rate = 0;

  // Lifecycle.
  readonly #timers: Array<ReturnType<typeof setTimeout>> = [];
  #progressTimer: ReturnType<typeof setInterval> | undefined;
  #aborted = false;
  #endTime = Number.NaN;
  #resolve: ((result: EngineResult) => void) | undefined;
  #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.abort();

  /** An engine ready to `run()`. */
  constructor(config: EngineConfig, deps: EngineDeps) {
    this.#config = config;
    this.#clock = deps.clock;
    this.#pacing = config.pacing;
    const lanes = config.lanes;
    this.#free = new Int32Array(lanes);
    for (let lane = 0; lane < lanes; lane++) this.#free[lane] = lane;
    this.#freeCount = lanes;
    this.#laneKind = new Uint8Array(lanes);
    this.#laneIntended = new Float64Array(lanes);
    this.#laneSent = new Float64Array(lanes);
    this.#transport = deps.createTransport(lanes, this);
    this.#waker = this.#pacing ? deps.createWaker(deps.clock, () => this.#wake()) : undefined;
  }

  /** Runs the load; resolves when it is done or aborted (with what was measured). */
  run(control: EngineControl = {}): Promise<EngineResult> {
    this.#onProgress = control.onProgress;
    this.#onSample = control.onSample;
    this.#signal = control.signal;
    return new Promise<EngineResult>((resolve) => {
      this.#resolve = resolve;
      if (control.signal?.aborted) {
        this.abort();
        return;
      }
      control.signal?.addEventListener("abort", this.#onAbort, { once: true });
      const config = this.#config;
      this.#progressTimer = setInterval(() => this.#tick(), config.progressIntervalMs);
      const hasWarmup = config.warmupRequests > 0 && config.warmupMs > 0;
      this.#phase = hasWarmup ? "warmup" : "measure";
      if (!hasWarmup) this.#beginMeasure(this.#pacing?.measureStartAt ?? config.startAt);
      if (this.#pacing) {
        const first = this.#pacing.pacer.dueTime(0);
        this.#retune(first);
        this.#armedFor = first;
        this.#waker?.arm(first, this.#targetAfter(first));
      } else {
        const delay = config.startAt - this.#clock();
        this.#later(Math.max(0, delay), () => this.#pump(this.#clock()));
      }
    });
  }

  /** Stops now; the run resolves with what was measured so far, marked aborted. */
  abort(): void {
    if (this.#phase === "done") return;
    this.#aborted = true;
    this.#finish(this.#clock());
  }

  /** The transport reports one request's outcome (see `OutcomeSink`). */
  onOutcome(lane: number, status: number, errorClass: TransportErrorClass | undefined): void {
    const kind = this.#laneKind[lane];
    if (kind === IDLE || this.#phase === "done") return;
    const now = this.#clock();
    this.#laneKind[lane] = IDLE;
    if (kind === MEASURED) {
      this.#measuredInFlight--;
      this.#completed++;
      this.#lastCompletion = now;
      if (errorClass === undefined) {
        if (status >= 0 && status < 1000) {
          this.#statusCounts[status] = (this.#statusCounts[status] as number) + 1;
          if (this.#config.errorStatus[status] === 1) this.#errors++;
        } else {
          this.#otherStatusCounts.set(status, (this.#otherStatusCounts.get(status) ?? 0) + 1);
          this.#errors++;
        }
        const latencyUs = (now - (this.#laneIntended[lane] as number)) * 1000;
        this.#latency.record(latencyUs);
        this.#interval.record(latencyUs);
        if (this.#pacing) this.#serviceTime.record((now - (this.#laneSent[lane] as number)) * 1000);
      } else {
        const cls = errorClass;
        this.#errorClassCounts.set(cls, (this.#errorClassCounts.get(cls) ?? 0) + 1);
        this.#errors++;
      }
    }
    // Free the lane. When every lane was busy, the requests due meanwhile waited for this one:
    // they count as ready from the start of this turn's outcomes (see #turnStart), so a generator
    // too busy to handle outcomes promptly shows as dispatch lag rather than as queue wait.
    if (this.#freeCount === 0) this.#freeSince = this.#turnStartedAt(now);
    const lanes = this.#free.length;
    this.#free[(this.#freeHead + this.#freeCount) % lanes] = lane;
    this.#freeCount++;

    if (this.#phase === "drain") {
      if (this.#measuredInFlight === 0) this.#finish(now);
    } else if (!this.#pumping) {
      this.#pump(now);
    }
  }

  /** The start of the current turn's outcomes (`now` for the first one); reset after the turn. */
  #turnStartedAt(now: number): number {
    if (Number.isNaN(this.#turnStart)) {
      this.#turnStart = now;
      setImmediate(this.#endTurn);
    }
    return this.#turnStart;
  }

  #wake(): void {
    const target = this.#armedFor;
    this.#armedFor = Number.NaN;
    if (this.#phase === "warmup" || this.#phase === "measure") {
      this.#pump(this.#clock(), target + this.#windows.wake);
    }
  }

  /**
   * Sends every request that is due while lanes are free, and those due within the answer window
   * of now or by `groupEnd` (a wake's group); arms the waker for the next one.
   */
  #pump(now: number, groupEnd = Number.NEGATIVE_INFINITY): void {
    this.#pumping = true;
    const pacing = this.#pacing;
    const config = this.#config;
    while (this.#freeCount > 0) {
      let kind: number;
      if (this.#phase === "warmup") {
        if (
          this.#warmupSent >= config.warmupRequests ||
          (!pacing && now - config.startAt >= config.warmupMs)
        ) {
          this.#beginMeasure(pacing ? pacing.measureStartAt : now);
          continue;
        }
        kind = WARMUP;
      } else if (this.#phase === "measure") {
        if (this.#measuredSent >= config.measuredRequests || now >= this.#deadline) {
          this.#drain(now);
          break;
        }
        kind = MEASURED;
      } else {
        break;
      }

      let intended = now;
      let early = false;
      if (pacing) {
        intended = pacing.pacer.dueTime(this.#nextIndex);
        if (kind === MEASURED && intended >= this.#deadline - DEADLINE_LAG_TOLERANCE_MS) {
          this.#drain(now);
          break;
        }
        if (intended > now) {
          if (intended - now > this.#windows.answer && !(intended <= groupEnd)) {
            if (intended !== this.#armedFor) {
              // The target that most likely follows is a hint: a waker that plans ahead heads
              // there right after this wake, so the usual next arm() costs no cross-thread notify.
              this.#armedFor = intended;
              this.#waker?.arm(intended, this.#targetAfter(intended));
            }
            break;
          }
          early = true;
        }
      }

      // Take the lane that has been free longest.
      const lane = this.#free[this.#freeHead] as number;
      this.#freeHead = (this.#freeHead + 1) % this.#free.length;
      this.#freeCount--;
      this.#nextIndex++;
      this.#laneKind[lane] = kind;
      // An early request's latency runs from its actual send: from its due time it would read short.
      this.#laneIntended[lane] = early ? now : intended;
      this.#laneSent[lane] = now;
      if (kind === MEASURED) {
        this.#measuredSent++;
        this.#measuredInFlight++;
        if (early) {
          // It left before its due time: it waited for nothing and was not late.
          this.#queueWait.record(0);
          this.#dispatchLag.record(0);
        } else if (pacing) {
          const readyAt = this.#freeSince > intended ? this.#freeSince : intended;
          this.#queueWait.record((readyAt - intended) * 1000);
          this.#dispatchLag.record((now - readyAt) * 1000);
        }
      } else {
        this.#warmupSent++;
      }
      this.#transport.send(lane, kind === MEASURED);
      now = this.#clock();
      if (kind === MEASURED && this.#measuredSent >= config.measuredRequests) {
        this.#drain(now);
        break;
      }
    }
    this.#pumping = false;
  }

  /**
   * The waker's likely target after `at`: the first due time past `at` plus the early bound, since
   * the wake at `at` also sends the requests due within that of it.
   */
  #targetAfter(at: number): number {
    const pacing = this.#pacing as EnginePacing;
    const next = Math.max(this.#nextIndex + 1, pacing.pacer.dueCount(at + this.#windows.wake));
    return pacing.pacer.dueTime(next);
  }

  /** Adapts the early bound and the waker to the time between requests at `at`. */
  #retune(at: number): void {
    const pacing = this.#pacing as EnginePacing;
    const intervalMs = pacing.pacer.intervalMsAt(at);
    this.#windows = sendWindows(intervalMs, pacing.earlyMs, pacing.wakeGroup);
    // A wake sends the requests due within its window: targets come that many intervals apart.
    this.#waker?.retune?.(intervalMs * (Math.floor(this.#windows.wake / intervalMs) + 1));
  }

  #beginMeasure(at: number): void {
    const config = this.#config;
    this.#phase = "measure";
    this.#measureStart = at;
    this.#lastTickAt = at;
    this.#lastSampleAt = at;
    // Align progress reports and timeline samples with the start of measuring, which may be a
    // little ahead (a paced run's first due time; the common start of worker threads).
    if (this.#progressTimer !== undefined) clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
    const startTicks = (): void => {
      if (this.#phase === "done") return;
      this.#progressTimer = setInterval(() => this.#tick(), config.progressIntervalMs);
    };
    const ahead = at - this.#clock();
    if (ahead >= 1) this.#later(ahead, startTicks);
    else startTicks();
    if (Number.isFinite(config.durationMs)) {
      // Paced: requests due before the deadline are sent (with the lag tolerance); unpaced: none after it.
      this.#deadline = at + config.durationMs + (this.#pacing ? DEADLINE_LAG_TOLERANCE_MS : 0);
      this.#later(Math.max(0, this.#deadline - this.#clock()), () => {
        if (this.#phase === "measure") this.#drain(this.#clock());
      });
    }
  }

  /** Stops scheduling; waits for measured requests in flight (bounded by the timeout). */
  #drain(now: number): void {
    if (this.#phase === "drain" || this.#phase === "done") return;
    this.#phase = "drain";
    this.#waker?.close();
    if (this.#measuredInFlight === 0) {
      this.#finish(now);
      return;
    }
    this.#later(this.#config.timeoutMs + TIMEOUT_SLACK_MS, () => {
      // Still no outcome: the transport's own timeout did not fire; count them as timeouts.
      const stuck = this.#measuredInFlight;
      if (stuck > 0) {
        this.#completed += stuck;
        this.#errors += stuck;
        this.#errorClassCounts.set("timeout", (this.#errorClassCounts.get("timeout") ?? 0) + stuck);
        this.#measuredInFlight = 0;
      }
      this.#finish(this.#clock());
    });
  }

  #finish(now: number): void {
    if (this.#phase === "done") return;
    const wasMeasuring = !Number.isNaN(this.#measureStart);
    this.#phase = "done";
    if (this.#aborted || !wasMeasuring) {
      this.#endTime = now;
    } else {
      const windowEnd = this.#pacing
        ? this.#pacing.windowEndAt
        : Number.isFinite(this.#config.durationMs)
          ? this.#measureStart + this.#config.durationMs
          : this.#measureStart;
      const last = Number.isNaN(this.#lastCompletion) ? this.#measureStart : this.#lastCompletion;
      this.#endTime = Math.max(windowEnd, last);
    }
    if (wasMeasuring && this.#completed > this.#lastSampleCompleted) this.#sample(now, true);
    this.#waker?.close();
    if (this.#progressTimer !== undefined) clearInterval(this.#progressTimer);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    const result = this.#result();
    void this.#transport.destroy().then(() => resolve?.(result));
  }

  #tick(): void {
    if (this.#phase === "done" || this.#phase === "idle") return;
    const now = this.#clock();
    // Under a rate ramp the time between requests changes: the early bound and the clock thread
    // follow the current one.
    if (this.#pacing) this.#retune(now);
    if (this.#phase === "warmup") {
      this.#onProgress?.({
        elapsedMs: 0,
        sent: 0,
        completed: 0,
        errors: 0,
        rate: 0,
        phase: "warmup",
      });
      return;
    }
    const span = now - this.#lastTickAt;
    if (span > 0) this.#rate = ((this.#completed - this.#lastTickCompleted) * 1000) / span;
    this.#lastTickAt = now;
    this.#lastTickCompleted = this.#completed;
    this.#ticks++;
    if (this.#ticks % this.#config.timelineEvery === 0) {
      this.#sample(now, false);
    } else {
      this.#onProgress?.(this.#progress(now, this.#rate));
    }
  }

  /** Adds a timeline sample covering the time since the last one, and reports it as progress. */
  #sample(now: number, final: boolean): void {
    const span = now - this.#lastSampleAt;
    const rate = span > 0 ? ((this.#completed - this.#lastSampleCompleted) * 1000) / span : 0;
    const progress = this.#progress(now, final ? rate : this.#rate);
    if (this.#interval.count > 0) {
      progress.p50Ms = this.#interval.percentile(50) / 1000;
      progress.p99Ms = this.#interval.percentile(99) / 1000;
    }
    this.#onSample?.(progress, this.#interval);
    this.#interval.reset();
    this.#lastSampleAt = now;
    this.#lastSampleCompleted = this.#completed;
    this.#timeline.push(progress);
    this.#onProgress?.(progress);
  }

  #progress(now: number, rate: number): LoadProgress {
    const config = this.#config;
    const progress: LoadProgress = {
      elapsedMs: Math.max(0, now - this.#measureStart),
      sent: this.#measuredSent,
      completed: this.#completed,
      errors: this.#errors,
      rate,
      phase: "measure",
    };
    let eta = Number.POSITIVE_INFINITY;
    if (Number.isFinite(config.durationMs)) {
      eta = Math.max(0, this.#measureStart + config.durationMs - now);
    }
    if (Number.isFinite(config.measuredRequests)) {
      const remaining = config.measuredRequests - this.#completed;
      if (this.#pacing) {
        eta = Math.min(eta, Math.max(0, this.#pacing.windowEndAt - now));
      } else if (rate > 0) {
        eta = Math.min(eta, (remaining * 1000) / rate);
      }
    }
    if (Number.isFinite(eta)) progress.etaMs = eta;
    return progress;
  }

  #later(ms: number, run: () => void): void {
    this.#timers.push(setTimeout(run, ms));
  }

  #result(): EngineResult {
    const statusCodes: Record<string, number> = {};
    this.#statusCounts.forEach((count, status) => {
      if (count > 0) statusCodes[String(status)] = count;
    });
    for (const [status, count] of this.#otherStatusCounts) statusCodes[String(status)] = count;
    const errorClasses: Record<string, number> = {};
    for (const cls of TRANSPORT_ERROR_CLASSES) {
      const count = this.#errorClassCounts.get(cls);
      if (count) errorClasses[cls] = count;
    }
    const result: EngineResult = {
      aborted: this.#aborted,
      requests: this.#completed,
      errors: this.#errors,
      statusCodes,
      errorClasses,
      measureStart: this.#measureStart,
      endTime: this.#endTime,
      latency: this.#latency,
      // Unpaced, every request is sent when it is intended: service time is the latency.
      serviceTime: this.#pacing ? this.#serviceTime : this.#latency.clone(),
      queueWait: this.#queueWait,
      dispatchLag: this.#pacing ? this.#dispatchLag : undefined,
      warmupRequests: this.#warmupSent,
      timeline: this.#timeline,
    };
    const stats = this.#transport.stats?.();
    if (stats) result.transportStats = stats;
    return result;
  }
}
