import { SLO_ERROR_CODES, SloError } from "../errors.js";
import { chiSquareSurvival } from "./distributions.js";

/** The p-value below which {@link sampleRatioMismatch} flags a mismatch (GrowthBook's default). */
export const SRM_THRESHOLD = 0.001;

/** The outcome of a sample-ratio-mismatch check. */
export interface SampleRatioMismatch {
  /** Pearson's chi-square statistic of the observed counts against the weights. */
  chiSquare: number;
  /** Its upper-tail p-value with (versions with weight > 0) − 1 degrees of freedom. */
  pValue: number;
  /** True when `pValue < 0.001`: the assignment does not follow the configured weights. */
  mismatch: boolean;
  /** Set (additively) when the check cannot say anything, e.g. no observations yet. */
  degenerate?: string;
}

/**
 * Sample-ratio-mismatch check: do the observed per-version `counts` (users, requests) fit the
 * configured relative `weights`? A chi-square goodness-of-fit test; a version of weight 0 that has
 * observations is a mismatch outright. Throws `SloError` `ITER8_STATS_INVALID` for lengths that
 * differ, negative or non-finite inputs, or weights that are all zero.
 */
export function sampleRatioMismatch(
  counts: readonly number[],
  weights: readonly number[],
): SampleRatioMismatch {
  if (counts.length !== weights.length) {
    throw new SloError(
      SLO_ERROR_CODES.statsInvalid,
      `sampleRatioMismatch: ${counts.length} counts but ${weights.length} weights`,
    );
  }
  const bad = [...counts, ...weights].find((x) => !(Number.isFinite(x) && x >= 0));
  if (bad !== undefined) {
    throw new SloError(
      SLO_ERROR_CODES.statsInvalid,
      `sampleRatioMismatch: counts and weights must be finite and >= 0, got ${String(bad)}`,
    );
  }
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  if (totalWeight <= 0) {
    throw new SloError(SLO_ERROR_CODES.statsInvalid, "sampleRatioMismatch: all weights are 0");
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const positive = weights.filter((w) => w > 0).length;
  if (total === 0) {
    return { chiSquare: 0, pValue: 1, mismatch: false, degenerate: "no observations yet" };
  }
  let chiSquare = 0;
  for (const [i, weight] of weights.entries()) {
    const observed = counts[i] ?? 0;
    if (weight === 0) {
      if (observed > 0) {
        return {
          chiSquare: Number.POSITIVE_INFINITY,
          pValue: 0,
          mismatch: true,
          degenerate: `version ${i} has weight 0 but ${observed} observations`,
        };
      }
      continue;
    }
    const expected = (total * weight) / totalWeight;
    chiSquare += (observed - expected) ** 2 / expected;
  }
  if (positive < 2) {
    return { chiSquare: 0, pValue: 1, mismatch: false, degenerate: "only one version has weight" };
  }
  const pValue = chiSquareSurvival(chiSquare, positive - 1);
  return { chiSquare, pValue, mismatch: pValue < SRM_THRESHOLD };
}
