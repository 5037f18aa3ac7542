// The coordinated-omission check's expected answer, derived from the stall server's behaviour.
//
// The stall server holds every response that arrives during the first `stallMs` of each
// `periodMs` and releases them all at the end of the stall (500 ms of every 1 000 ms). A generator
// paced at a fixed rate *intends* its requests uniformly in time, so a request's phase u in the
// period is uniform on [0, T). Measured from the intended send time (as wrk2 and iter8 do):
//
//   u <  S  →  latency = S − u   (it waits for the end of the stall; uniform on (0, S])
//   u >= S  →  latency ≈ service time (≈ 0 on loopback)
//
// so for 0 <= x < S:   P(L <= x) = P(u >= S) + P(S − x <= u < S) = (1 − S/T) + x/T.
// Inverting, the q-quantile is   x_q = S − T·(1 − q)   when q > 1 − S/T, and ≈ 0 otherwise.
// With T = 1 000 ms and S = 500 ms (half the second stalled): p50 = 0 (the edge between the fast
// and the stalled halves), p75 = 250 ms, p90 = 400 ms, p99 = 490 ms, p99.9 = 499 ms.
// The rate does not enter: at 1 000 req/s about 500 requests fall in each stall, enough to resolve
// these percentiles. A generator that measures from the actual send time instead only sees the
// few requests its connections had in flight when the stall began, and reports far less.

/** The stall server's schedule. */
export interface StallModel {
  /** Length of one cycle in ms (1 000). */
  periodMs: number;
  /** How long each cycle holds responses, from its start, in ms (500). */
  stallMs: number;
}

/** The stall used by the bench: 500 ms of every second. */
export const BENCH_STALL: StallModel = { periodMs: 1000, stallMs: 500 };

/**
 * The latency (ms) at percentile `p` (0–100) that a generator measuring from the intended send
 * time must report against the stall server, ignoring the sub-millisecond service time.
 */
export function analyticStallPercentile(model: StallModel, p: number): number {
  if (!(model.periodMs > 0) || model.stallMs < 0 || model.stallMs > model.periodMs) {
    throw new RangeError("need 0 <= stallMs <= periodMs and periodMs > 0");
  }
  if (!(p >= 0 && p <= 100)) throw new RangeError("percentile must be within [0, 100]");
  const q = p / 100;
  const fastFraction = 1 - model.stallMs / model.periodMs;
  if (q <= fastFraction) return 0;
  return model.stallMs - model.periodMs * (1 - q);
}

/** How far a measured percentile may sit from the analytic one. */
export interface Tolerance {
  /** Relative tolerance (0.1 = 10%) where the analytic value is above 0. */
  relative: number;
  /**
   * Absolute tolerance in ms where the analytic value is 0, i.e. at or below the edge between the
   * fast and the stalled requests (p50 for a 50% stall), where a relative bound is meaningless.
   */
  edgeMs: number;
}

/**
 * The CO target: within 10% of the analytic value; at the edge (p50), within 10% of the stall
 * (50 ms). Why the edge needs room: after each stall the server must answer the stall's backlog
 * (about rate x stall = 500 requests) and the generator must send the requests it queued, so the
 * first requests after the stall wait for that drain too. It moves the p50 (the edge) from 0 to
 * about the drain time (tens of ms, depending on the server's speed) while p75 and p99 move by
 * a fraction of it.
 */
export const CO_TOLERANCE: Tolerance = { relative: 0.1, edgeMs: 0.1 * BENCH_STALL.stallMs };

/** The allowed |measured − analytic| in ms for an analytic value. */
export function allowedDeviation(analytic: number, tolerance: Tolerance = CO_TOLERANCE): number {
  return analytic > 0 ? tolerance.relative * analytic : tolerance.edgeMs;
}

/** Whether `measured` lies within the tolerance of `analytic` (both in ms). */
export function isWithinTolerance(
  measured: number,
  analytic: number,
  tolerance: Tolerance = CO_TOLERANCE,
): boolean {
  if (!Number.isFinite(measured)) return false;
  return Math.abs(measured - analytic) <= allowedDeviation(analytic, tolerance);
}
