import { planLoadRamp } from "@iter8/spec/light";
import type { LoadSchedule } from "@iter8/spec/light";

/**
 * The cumulative schedule of a run, in seconds from its origin: the integral of the rate (`countAt`)
 * and its inverse (`timeOf`). Request `i` of the run is due when the integral reaches `i`.
 */
export interface RateCurve {
  /** Seconds from the origin at which the integral of the rate reaches `n` (n >= 0). */
  timeOf(n: number): number;
  /** The integral of the rate from the origin to `t` seconds (t >= 0). */
  countAt(t: number): number;
  /** The rate (requests per second) at `t` seconds. */
  rateAt(t: number): number;
}

/** A constant rate: request `i` is due at `i / qps`. */
class ConstantCurve implements RateCurve {
  readonly #qps: number;
  constructor(qps: number) {
    this.#qps = qps;
  }
  timeOf(n: number): number {
    return n / this.#qps;
  }
  countAt(t: number): number {
    return t * this.#qps;
  }
  rateAt(): number {
    return this.#qps;
  }
}

/**
 * ghz's step schedule: `start` for `stepS` seconds, then `start + step`, and so on for `steps`
 * steps; from `steps * stepS` on the rate holds at `hold`.
 */
class StepCurve implements RateCurve {
  readonly #start: number;
  readonly #step: number;
  readonly #stepS: number;
  readonly #steps: number;
  readonly #hold: number;
  readonly #rampS: number;
  readonly #rampCount: number;

  constructor(start: number, step: number, stepS: number, steps: number, hold: number) {
    this.#start = start;
    this.#step = step;
    this.#stepS = stepS;
    this.#steps = steps;
    this.#hold = hold;
    this.#rampS = steps * stepS;
    this.#rampCount = Number.isFinite(steps) ? this.#before(steps) : Number.POSITIVE_INFINITY;
  }

  /** The integral over the first `k` whole steps. */
  #before(k: number): number {
    return this.#stepS * (k * this.#start + (this.#step * k * (k - 1)) / 2);
  }

  timeOf(n: number): number {
    if (n >= this.#rampCount) return this.#rampS + (n - this.#rampCount) / this.#hold;
    // Solve stepS * (step/2 k² + (start - step/2) k) = n for k, then settle on the step holding n.
    const b = this.#start - this.#step / 2;
    const root =
      (-b + Math.sqrt(Math.max(0, b * b + (2 * this.#step * n) / this.#stepS))) / this.#step;
    let k = Math.min(Math.max(0, Math.floor(root)), this.#steps - 1);
    while (k > 0 && this.#before(k) > n) k--;
    while (k + 1 < this.#steps && this.#before(k + 1) <= n) k++;
    return k * this.#stepS + (n - this.#before(k)) / (this.#start + this.#step * k);
  }

  countAt(t: number): number {
    if (t >= this.#rampS) return this.#rampCount + (t - this.#rampS) * this.#hold;
    const k = Math.floor(t / this.#stepS);
    return this.#before(k) + (t - k * this.#stepS) * (this.#start + this.#step * k);
  }

  rateAt(t: number): number {
    if (t >= this.#rampS) return this.#hold;
    return this.#start + this.#step * Math.floor(Math.max(0, t) / this.#stepS);
  }
}

/** A linear ramp: `start + slope * t` until `rampS` seconds, then `start + slope * rampS`. */
class LineCurve implements RateCurve {
  readonly #start: number;
  readonly #slope: number;
  readonly #rampS: number;
  readonly #rampCount: number;
  readonly #hold: number;

  constructor(start: number, slope: number, rampS: number) {
    this.#start = start;
    this.#slope = slope;
    this.#rampS = rampS;
    this.#hold = start + slope * rampS;
    this.#rampCount = Number.isFinite(rampS)
      ? start * rampS + (slope * rampS * rampS) / 2
      : Number.POSITIVE_INFINITY;
  }

  timeOf(n: number): number {
    if (n >= this.#rampCount) return this.#rampS + (n - this.#rampCount) / this.#hold;
    // The root of slope/2 t² + start t = n, in the form that stays exact for either sign of slope.
    const disc = Math.max(0, this.#start * this.#start + 2 * this.#slope * n);
    return (2 * n) / (this.#start + Math.sqrt(disc));
  }

  countAt(t: number): number {
    if (t >= this.#rampS) return this.#rampCount + (t - this.#rampS) * this.#hold;
    return this.#start * t + (this.#slope * t * t) / 2;
  }

  rateAt(t: number): number {
    return t >= this.#rampS ? this.#hold : this.#start + this.#slope * Math.max(0, t);
  }
}

/** `lead` requests at the ramp's start rate (the warm-up), then the ramp from its beginning. */
class LeadCurve implements RateCurve {
  readonly #lead: number;
  readonly #leadS: number;
  readonly #rate: number;
  readonly #ramp: RateCurve;

  constructor(lead: number, ramp: RateCurve) {
    this.#lead = lead;
    this.#rate = ramp.rateAt(0);
    this.#leadS = lead / this.#rate;
    this.#ramp = ramp;
  }

  timeOf(n: number): number {
    return n < this.#lead ? n / this.#rate : this.#leadS + this.#ramp.timeOf(n - this.#lead);
  }

  countAt(t: number): number {
    return t < this.#leadS ? t * this.#rate : this.#lead + this.#ramp.countAt(t - this.#leadS);
  }

  rateAt(t: number): number {
    return t < this.#leadS ? this.#rate : this.#ramp.rateAt(t - this.#leadS);
  }
}

/**
 * The rate curve of a paced run: constant `qps`, or `schedule`'s ramp preceded by `lead` requests
 * (the warm-up) at the ramp's start rate, so the ramp begins when measuring does.
 */
export function createRateCurve(
  qps: number,
  schedule: LoadSchedule | undefined,
  lead = 0,
): RateCurve {
  if (schedule === undefined || schedule.kind === "const") {
    if (!(qps > 0) || !Number.isFinite(qps)) throw new RangeError(`qps must be > 0, got ${qps}`);
    return new ConstantCurve(qps);
  }
  const { rampS, holdRate } = planLoadRamp(schedule);
  if (!(schedule.start > 0) || !(holdRate > 0) || schedule.step === 0) {
    throw new RangeError("a ramp needs a start rate > 0, a step other than 0 and an end rate > 0");
  }
  let ramp: RateCurve;
  if (schedule.kind === "step") {
    const stepS = schedule.stepDurationMs / 1000;
    const steps = Number.isFinite(rampS) ? Math.round(rampS / stepS) : rampS;
    ramp = new StepCurve(schedule.start, schedule.step, stepS, steps, holdRate);
  } else {
    ramp = new LineCurve(schedule.start, schedule.step, rampS);
  }
  return lead > 0 ? new LeadCurve(lead, ramp) : ramp;
}

/**
 * The open-model schedule, pure arithmetic (no clock, no timers): request `i` of the whole run is
 * due at `startAt` plus the time the rate curve's integral reaches `i` (`i / qps` at a constant
 * rate). A share of the run (a worker thread) takes every `stride`-th request starting at `offset`,
 * so N shares with offsets 0..N-1 and stride N together send exactly the single-thread schedule.
 */
export class Pacer {
  readonly #startAt: number;
  readonly #curve: RateCurve;
  readonly #offset: number;
  readonly #stride: number;

  /**
   * @param rate total rate of the run in requests per second (> 0), or its rate curve
   * @param startAt clock time (ms) at which request 0 of the run is due
   */
  constructor(rate: number | RateCurve, startAt: number, offset = 0, stride = 1) {
    this.#curve = typeof rate === "number" ? createRateCurve(rate, undefined) : rate;
    if (!Number.isInteger(offset) || !Number.isInteger(stride) || stride < 1 || offset < 0) {
      throw new RangeError("offset must be an integer >= 0 and stride an integer >= 1");
    }
    this.#startAt = startAt;
    this.#offset = offset;
    this.#stride = stride;
  }

  /** Clock time (ms) at which this share's `j`-th request is due. */
  dueTime(j: number): number {
    return this.#startAt + 1000 * this.#curve.timeOf(this.#offset + j * this.#stride);
  }

  /** How many of this share's requests are due at clock time `now` (due time ≤ now). */
  dueCount(now: number): number {
    const t = (now - this.#startAt) / 1000;
    const runDue = t >= 0 ? Math.floor(this.#curve.countAt(t)) + 1 : 0;
    let j = countShare(runDue, this.#offset, this.#stride);
    // Correct floating-point edge cases so that dueCount agrees exactly with dueTime.
    while (j > 0 && this.dueTime(j - 1) > now) j--;
    while (this.dueTime(j) <= now) j++;
    return j;
  }

  /** Milliseconds between this share's consecutive requests at clock time `now`. */
  intervalMsAt(now: number): number {
    return (1000 * this.#stride) / this.#curve.rateAt(Math.max(0, (now - this.#startAt) / 1000));
  }
}

/** How many of `total` run indices `0..total-1` fall in the share `offset` of `stride`. */
export function countShare(total: number, offset: number, stride: number): number {
  if (!Number.isFinite(total)) return total;
  return total > offset ? Math.floor((total - 1 - offset) / stride) + 1 : 0;
}
