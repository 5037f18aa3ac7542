import type { AssessInputs, Insights } from "@iter8/spec";
import { evaluateSlos } from "./evaluate-slos.js";
import { normaliseMetricName } from "@iter8/spec";
import { selectWinner } from "./stats/winner.js";

/**
 * The `assess-app-versions` task: a new `insights` with `SLOs` (metric names normalised),
 * `SLOsSatisfied` and `SLOsSatisfiedBy` set from the metrics collected so far. Pure: `insights` is
 * not changed. Without insights (no metrics task ran) the arrays are sized by `numVersions` (0).
 * With `rewards`, also `rewards`, `comparisons` and `winner` (see `selectWinner`).
 */
export function assessAppVersions(inputs: AssessInputs, insights: Insights | undefined): Insights {
  const base: Insights = insights ?? { numVersions: 0, metricsInfo: {}, metricValues: [] };
  const SLOs = inputs.SLOs.map((slo) => ({ ...slo, metric: normaliseMetricName(slo.metric) }));
  const { SLOsSatisfied, SLOsSatisfiedBy } = evaluateSlos(SLOs, base);
  const assessed: Insights = { ...base, SLOs, SLOsSatisfied, SLOsSatisfiedBy };
  if (!inputs.rewards || inputs.rewards.length === 0) return assessed;
  // With no SLOs, every version satisfies them (an empty conjunction).
  return {
    ...assessed,
    ...selectWinner(inputs, base, SLOs.length > 0 ? SLOsSatisfiedBy : undefined),
  };
}
