/** Latency at one percentile. */
export interface PercentilePoint {
  /** In [0, 100]. */
  percentile: number;
  latencyMs: number;
}

/** The percentiles a curve shows, p0 to p99.9, denser in the tail. */
export const CURVE_PERCENTILES: readonly number[] = [
  0, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 95, 97.5, 99, 99.5, 99.9,
];

/**
 * A latency-by-percentile curve from p0 to p99.9: the exact values given (from the percentile
 * metrics) where there are some, otherwise values interpolated linearly inside the histogram's
 * buckets and kept between the exact values around them. Sorted by percentile and never
 * decreasing. Empty when there is nothing to draw.
 */
export function percentileCurve(
  histogram: ReadonlyArray<readonly [number, number, number]>,
  exact: readonly PercentilePoint[],
): PercentilePoint[] {
  const known = exact
    .filter((point) => point.percentile >= 0 && point.percentile <= 99.9)
    .sort((a, b) => a.percentile - b.percentile);
  const points = known.map((point) => ({ ...point, exact: true }));
  for (const p of CURVE_PERCENTILES) {
    if (known.some((point) => point.percentile === p)) continue;
    const value = percentileFromBuckets(histogram, p);
    if (value === undefined) continue;
    // A bucket is coarse: keep an interpolated value between the exact ones around it.
    const below = known.filter((point) => point.percentile < p).map((point) => point.latencyMs);
    const above = known.filter((point) => point.percentile > p).map((point) => point.latencyMs);
    const clamped = Math.min(Math.max(value, ...below), ...above);
    points.push({ percentile: p, latencyMs: clamped, exact: false });
  }
  points.sort((a, b) => a.percentile - b.percentile);
  let floor = Number.NEGATIVE_INFINITY;
  return points.map((point) => {
    floor = Math.max(floor, point.latencyMs);
    return { percentile: point.percentile, latencyMs: floor };
  });
}

function percentileFromBuckets(
  histogram: ReadonlyArray<readonly [number, number, number]>,
  percentile: number,
): number | undefined {
  const total = histogram.reduce((sum, [, , count]) => sum + count, 0);
  if (total <= 0) return undefined;
  const rank = (percentile / 100) * total;
  let before = 0;
  for (const [lower, upper, count] of histogram) {
    if (count <= 0) continue;
    if (before + count >= rank) {
      const within = rank <= before ? 0 : (rank - before) / count;
      return round3(lower + (upper - lower) * within);
    }
    before += count;
  }
  const last = histogram.at(-1);
  return last ? last[1] : undefined;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
