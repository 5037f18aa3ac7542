// The rate of the proxy scenario's paced runs. Its target asks for half the iter8 proxy's peak, but
// on 2 cores the paced generator (iter8's runLoad, which costs several times wrk's CPU per request)
// shares a core with the upstream: where half the proxy's peak is more than those two carry, the
// direct path itself queues (run H: 20,717/s, direct median 9.3 ms), and "added" then measures
// that queue, not the proxy. So the rate is lowered until the direct path carries it.

/** The direct path carries a rate when its median latency stays at or under this (ms)... */
export const DIRECT_CARRIES_P50_MS = 1;
/** ...and it achieves at least this share of the rate asked. */
export const DIRECT_CARRIES_SHARE = 0.99;
/** Each try asks for this share of the rate before. */
export const PACED_RATE_STEP = 0.8;
/** Tries at most (the last rate tried is 0.8⁴ ≈ 41% of half the peak). */
export const PACED_RATE_TRIES = 5;

/** What a short paced run straight to the upstream measured. */
export interface DirectProbe {
  /** Requests per second achieved. */
  rate: number;
  /** Median latency, ms. */
  p50Ms: number;
}

/** One try of `choosePacedRate`. */
export interface PacedRateTry {
  /** The rate asked for. */
  rate: number;
  /** What the direct path did at it (undefined: the run failed). */
  probe: DirectProbe | undefined;
  /** Whether the direct path carried it. */
  carried: boolean;
}

/** The paced rate chosen, and how. */
export interface PacedRateChoice {
  /** The rate the paced runs use. */
  rate: number;
  /** Half the iter8 proxy's median peak: the rate the target names. */
  halfPeak: number;
  /** Every try, in order. */
  tries: PacedRateTry[];
  /** False when no rate tried was carried (the last one is used). */
  carried: boolean;
}

/** Whether `probe` at `rate` shows a direct path that carries the rate without queueing. */
export function directCarries(rate: number, probe: DirectProbe | undefined): boolean {
  return (
    probe !== undefined &&
    probe.rate >= DIRECT_CARRIES_SHARE * rate &&
    probe.p50Ms <= DIRECT_CARRIES_P50_MS
  );
}

/**
 * Half the proxy's peak, or the first rate below it (each try `PACED_RATE_STEP` of the one before,
 * `PACED_RATE_TRIES` at most) that the direct path carries, as `probe` measures it.
 */
export async function choosePacedRate(
  halfPeak: number,
  probe: (rate: number) => Promise<DirectProbe | undefined>,
): Promise<PacedRateChoice> {
  const tries: PacedRateTry[] = [];
  let rate = Math.max(1, Math.round(halfPeak));
  for (let i = 0; i < PACED_RATE_TRIES; i++) {
    if (i > 0) rate = Math.max(1, Math.round(rate * PACED_RATE_STEP));
    const measured = await probe(rate);
    const carried = directCarries(rate, measured);
    tries.push({ rate, probe: measured, carried });
    if (carried) return { rate, halfPeak, tries, carried };
  }
  return { rate, halfPeak, tries, carried: false };
}

/**
 * What a rate label adds when the paced rate is not half the proxy's peak: "" when it is (or the
 * result file predates the tries).
 */
export function pacedRateNote(choice: PacedRateChoice | undefined): string {
  if (choice === undefined) return "";
  const half = Math.round(choice.halfPeak);
  if (!choice.carried) {
    return ` (half the proxy's peak is ${half}/s; the direct path carried none of the rates tried, so "added" includes its queue)`;
  }
  return choice.rate === half
    ? ""
    : ` (half the proxy's peak, ${half}/s, is more than the direct path carries on one core)`;
}
