// Private stand-in for `normaliseMetricName` of @iter8/spec, which is being written alongside this
// package. Same contract: `built-in/p95` → `built-in/p95.0`; every other name is returned as is.

const PERCENTILE_METRIC = /^built-in\/p(\d+)(?:\.(\d+))?$/;

/** The canonical name of a metric: built-in percentiles carry one decimal (`built-in/p95.0`). */
export function normaliseMetricName(name: string): string {
  const match = PERCENTILE_METRIC.exec(name);
  if (!match?.[1]) return name;
  const whole = String(Number(match[1]));
  const decimals = (match[2] ?? "").replace(/0+$/, "");
  const p = Number(`${whole}.${decimals || "0"}`);
  if (!(p > 0 && p <= 100)) return name;
  // One decimal, as Iter8 names them (`p50.0`, `p99.9`); finer percentiles keep their digits.
  return `built-in/p${whole}.${decimals || "0"}`;
}
