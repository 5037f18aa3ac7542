import type { Insights, SLO } from "@iter8/spec";
import { normaliseMetricName } from "@iter8/spec";

/** Why an SLO check came out as it did. */
export type SloCheckReason = "ok" | "no-data" | "above-upper" | "below-lower";

/** The outcome of one SLO for one version. */
export interface SloCheck {
  satisfied: boolean;
  /** The value compared against the limits; absent when there was no data. */
  value?: number;
  reason: SloCheckReason;
  /** True when the SLO had no data and says `onNoData: skip`: it counts as satisfied. */
  skipped?: boolean;
  /** One line for people, e.g. `version 0 fails built-in/p95.0 <= 100 (value 120.5)`. */
  message: string;
  /**
   * The message without its subject, e.g. `fails built-in/p95.0 <= 100 (value 120.5)`, for callers
   * that name the version themselves (`message` is `version <index> ` followed by it).
   */
  finding: string;
}

/** The outcome of a list of SLOs for every version. */
export interface SloEvaluation {
  /** Indexed [slo][version], as in Iter8's `insights.SLOsSatisfied`. */
  SLOsSatisfied: boolean[][];
  /** Indexed [version]: true when the version satisfies every SLO (vacuously true with no SLOs). */
  SLOsSatisfiedBy: boolean[];
  /** Indexed [slo][version]: each outcome with its value and reason. */
  checks: SloCheck[][];
}

/**
 * The condition an SLO states, as people read it: `built-in/p95.0 <= 100`, `0 <= metric`,
 * `1 <= metric <= 5`. The metric name is normalised (`built-in/p95` → `built-in/p95.0`).
 */
export function formatSlo(slo: SLO): string {
  const metric = normaliseMetricName(slo.metric);
  const lower = slo.lowerLimit !== undefined ? `${String(slo.lowerLimit)} <= ` : "";
  const upper = slo.upperLimit !== undefined ? ` <= ${String(slo.upperLimit)}` : "";
  return `${lower}${metric}${upper}`;
}

/**
 * The latest value of a metric for one version: the last element of Iter8's list of values.
 * `undefined` when the version, the metric or its values are missing, or the value is not a number.
 */
export function latestMetricValue(
  insights: Insights | undefined,
  version: number,
  metric: string,
): number | undefined {
  const values = insights?.metricValues[version];
  if (!values) return undefined;
  const name = normaliseMetricName(metric);
  const list = Object.hasOwn(values, name)
    ? values[name]
    : Object.hasOwn(values, metric)
      ? values[metric]
      : undefined;
  const value = list?.at(-1);
  return typeof value === "number" && !Number.isNaN(value) ? value : undefined;
}

/**
 * Checks one SLO for one version. Limits are inclusive; a missing value fails with reason
 * `no-data` (its cause from `insights.metricProblems` in the message), unless the SLO says
 * `onNoData: skip`, which counts it as satisfied and marks it `skipped`.
 */
export function checkSlo(slo: SLO, version: number, insights: Insights | undefined): SloCheck {
  const check = judgeSlo(slo, version, insights);
  return { ...check, message: `version ${version} ${check.finding}` };
}

function judgeSlo(
  slo: SLO,
  version: number,
  insights: Insights | undefined,
): Omit<SloCheck, "message"> {
  const condition = formatSlo(slo);
  const value = latestMetricValue(insights, version, slo.metric);
  if (value === undefined) {
    const metric = normaliseMetricName(slo.metric);
    const problem = insights?.metricProblems?.[version]?.[metric];
    const cause = problem ? ` (${problem.reason})` : "";
    if (slo.onNoData === "skip") {
      return {
        satisfied: true,
        skipped: true,
        reason: "no-data",
        finding: `skips ${condition}: no data for ${metric}${cause}`,
      };
    }
    return {
      satisfied: false,
      reason: "no-data",
      finding: `fails ${condition}: no data for ${metric}${cause}`,
    };
  }
  const shown = `(value ${String(value)})`;
  if (slo.upperLimit !== undefined && value > slo.upperLimit) {
    return {
      satisfied: false,
      value,
      reason: "above-upper",
      finding: `fails ${condition} ${shown}`,
    };
  }
  if (slo.lowerLimit !== undefined && value < slo.lowerLimit) {
    return {
      satisfied: false,
      value,
      reason: "below-lower",
      finding: `fails ${condition} ${shown}`,
    };
  }
  return {
    satisfied: true,
    value,
    reason: "ok",
    finding: `satisfies ${condition} ${shown}`,
  };
}

/**
 * Evaluates every SLO for every version of `insights` (`numVersions` of them). A version whose
 * metrics are missing (skipped with a `null` versionInfo, or never measured) has no data and so
 * fails every SLO.
 */
export function evaluateSlos(slos: readonly SLO[], insights: Insights | undefined): SloEvaluation {
  const numVersions = Math.max(0, insights?.numVersions ?? 0);
  const versions = Array.from({ length: numVersions }, (_, v) => v);
  const checks = slos.map((slo) => versions.map((v) => checkSlo(slo, v, insights)));
  return {
    SLOsSatisfied: checks.map((row) => row.map((check) => check.satisfied)),
    SLOsSatisfiedBy: versions.map((v) => checks.every((row) => row[v]?.satisfied === true)),
    checks,
  };
}
