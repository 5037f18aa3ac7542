/** What a report shows for a value it does not have. */
export const UNAVAILABLE = "unavailable";

/**
 * A metric value as reports show it: integers without decimals, other numbers with two decimals
 * (Iter8's format), except a value that two decimals would show as 0.00, which gets three
 * significant digits (`0.004`), so an error rate of 0.4% never reads as zero next to a failed
 * SLO; then the units in parentheses when the metric has units (`17.02 (msec)`); `unavailable`
 * when there is no value.
 */
export function formatMetricValue(value: number | undefined, units?: string): string {
  if (value === undefined || Number.isNaN(value)) return UNAVAILABLE;
  const number = Number.isInteger(value)
    ? String(value)
    : Math.abs(value) < 0.005
      ? String(Number(value.toPrecision(3)))
      : value.toFixed(2);
  return units ? `${number} (${units})` : number;
}
