/** What a report shows for a value it does not have. */
export const UNAVAILABLE = "unavailable";

/**
 * A metric value as reports show it: integers without decimals, other numbers with two decimals,
 * then the units in parentheses when the metric has units (`17.02 (msec)`); `unavailable` when
 * there is no value.
 */
export function formatMetricValue(value: number | undefined, units?: string): string {
  if (value === undefined || Number.isNaN(value)) return UNAVAILABLE;
  const number = Number.isInteger(value) ? String(value) : value.toFixed(2);
  return units ? `${number} (${units})` : number;
}
