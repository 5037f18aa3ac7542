// Pure statistics used by the harness: medians across runs, ratios, and the server-side pacing
// analysis (request arrivals per 100 ms window).

/** Median of a list of numbers (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[mid - 1] as number) + upper) / 2;
}

/** `a / b`, or NaN when either side is missing or not finite, or `b` is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) return Number.NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

/** How `summarizeArrivals` cuts the arrival record into windows. */
export interface ArrivalWindowOptions {
  /** The rate the generator was asked for, in requests per second. */
  targetRate: number;
  /** Window length in ms (default 100). */
  windowMs?: number;
  /** Time after the first arrival that is left out as start-up / warm-up (default 1000 ms). */
  skipMs?: number;
}

/** Pacing as the server saw it: the steady-state rate and the worst window. */
export interface ArrivalSummary {
  /** Window length in ms. */
  windowMs: number;
  /** Requests expected per window at the target rate. */
  expectedPerWindow: number;
  /** Arrivals in each full window of the steady span, in order. */
  windows: number[];
  /** Arrivals per second over the steady span (all full windows). */
  steadyRate: number;
  /** `(steadyRate - target) / target`. */
  rateError: number;
  /** Largest `|count - expected| / expected` over the windows. */
  worstWindowDeviation: number;
  /** The count in that worst window. */
  worstWindowCount: number;
  /** Arrivals counted in total, including the skipped start and the partial last window. */
  totalArrivals: number;
}

/**
 * Summarises a per-millisecond arrival record (index = ms since the counter was reset). The steady
 * span starts `skipMs` after the first arrival and ends at the millisecond of the last arrival;
 * it is cut into whole windows of `windowMs`, and the partial window at the end is dropped, so a
 * generator is never charged for the moment it stops. Returns undefined when not one full window
 * fits.
 */
export function summarizeArrivals(
  msCounts: ArrayLike<number>,
  options: ArrivalWindowOptions,
): ArrivalSummary | undefined {
  const windowMs = options.windowMs ?? 100;
  const skipMs = options.skipMs ?? 1000;
  if (!(options.targetRate > 0)) throw new RangeError("targetRate must be > 0");
  let first = -1;
  let last = -1;
  let totalArrivals = 0;
  for (let i = 0; i < msCounts.length; i++) {
    const c = msCounts[i] as number;
    if (c > 0) {
      if (first < 0) first = i;
      last = i;
      totalArrivals += c;
    }
  }
  if (first < 0) return undefined;
  const start = first + skipMs;
  const windows: number[] = [];
  // A window [s, s + windowMs) is complete when it ends at or before the last arrival's millisecond.
  for (let s = start; s + windowMs <= last; s += windowMs) {
    let count = 0;
    for (let i = s; i < s + windowMs; i++) count += msCounts[i] as number;
    windows.push(count);
  }
  if (windows.length === 0) return undefined;
  const expectedPerWindow = (options.targetRate * windowMs) / 1000;
  let worstWindowDeviation = 0;
  let worstWindowCount = windows[0] as number;
  let sum = 0;
  for (const count of windows) {
    sum += count;
    const deviation = Math.abs(count - expectedPerWindow) / expectedPerWindow;
    if (deviation > worstWindowDeviation) {
      worstWindowDeviation = deviation;
      worstWindowCount = count;
    }
  }
  const steadyRate = sum / ((windows.length * windowMs) / 1000);
  return {
    windowMs,
    expectedPerWindow,
    windows,
    steadyRate,
    rateError: (steadyRate - options.targetRate) / options.targetRate,
    worstWindowDeviation,
    worstWindowCount,
    totalArrivals,
  };
}
