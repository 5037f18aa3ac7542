// Thin, typed wrappers over the @stdlib distribution functions the statistics need. One place to
// swap the implementation, and the only place that knows their calling conventions.
import chiSquareCdfImpl from "@stdlib/stats-base-dists-chisquare-cdf";
import normalCdfImpl from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantileImpl from "@stdlib/stats-base-dists-normal-quantile";
import tCdfImpl from "@stdlib/stats-base-dists-t-cdf";
import tQuantileImpl from "@stdlib/stats-base-dists-t-quantile";

/** P(T <= x) for Student's t with `df` degrees of freedom. */
export function tCdf(x: number, df: number): number {
  return tCdfImpl(x, df);
}

/** The `p`-quantile of Student's t with `df` degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  return tQuantileImpl(p, df);
}

/** P(X > x) for chi-square with `df` degrees of freedom (the upper tail, as a p-value). */
export function chiSquareSurvival(x: number, df: number): number {
  return 1 - chiSquareCdfImpl(x, df);
}

/** P(Z <= x) for the standard normal. */
export function normalCdf(x: number): number {
  return normalCdfImpl(x, 0, 1);
}

/** The `p`-quantile of the standard normal. */
export function normalQuantile(p: number): number {
  return normalQuantileImpl(p, 0, 1);
}

/** The standard normal density at `x`. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}
