/**
 * The open-model schedule, pure arithmetic (no clock, no timers): request `i` of the whole run is
 * due at `startAt + i / qps`. A share of the run (a worker thread) takes every `stride`-th request
 * starting at `offset`, so N shares with offsets 0..N-1 and stride N together send exactly the
 * single-thread schedule.
 */
export class Pacer {
  readonly #startAt: number;
  readonly #intervalMs: number;
  readonly #offset: number;
  readonly #stride: number;

  /**
   * @param qps total rate of the run in requests per second (> 0)
   * @param startAt clock time (ms) at which request 0 of the run is due
   */
  constructor(qps: number, startAt: number, offset = 0, stride = 1) {
    if (!(qps > 0) || !Number.isFinite(qps)) throw new RangeError(`qps must be > 0, got ${qps}`);
    if (!Number.isInteger(offset) || !Number.isInteger(stride) || stride < 1 || offset < 0) {
      throw new RangeError("offset must be an integer >= 0 and stride an integer >= 1");
    }
    this.#startAt = startAt;
    this.#intervalMs = 1000 / qps;
    this.#offset = offset;
    this.#stride = stride;
  }

  /** Clock time (ms) at which this share's `j`-th request is due. */
  dueTime(j: number): number {
    return this.#startAt + (this.#offset + j * this.#stride) * this.#intervalMs;
  }

  /** How many of this share's requests are due at clock time `now` (due time ≤ now). */
  dueCount(now: number): number {
    const runIndex = (now - this.#startAt) / this.#intervalMs;
    let j = Math.max(0, Math.floor((runIndex - this.#offset) / this.#stride) + 1);
    // Correct floating-point edge cases so that dueCount agrees exactly with dueTime.
    while (j > 0 && this.dueTime(j - 1) > now) j--;
    while (this.dueTime(j) <= now) j++;
    return j;
  }

  /** Milliseconds between this share's consecutive requests. */
  get intervalMs(): number {
    return this.#intervalMs * this.#stride;
  }
}

/** How many of `total` run indices `0..total-1` fall in the share `offset` of `stride`. */
export function countShare(total: number, offset: number, stride: number): number {
  if (!Number.isFinite(total)) return total;
  return total > offset ? Math.floor((total - 1 - offset) / stride) + 1 : 0;
}
