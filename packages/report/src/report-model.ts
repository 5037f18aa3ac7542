import type {
  Experiment,
  ExperimentResult,
  Insights,
  MetricType,
  SLO,
  TaskFailure,
  VersionLoadDetails,
} from "@iter8/spec";
import { normaliseMetricName } from "@iter8/spec";
import { checkSlo, formatSlo, latestMetricValue } from "@iter8/slo";
import type { SloCheckReason } from "@iter8/slo";
import { comparisonTableRows } from "./comparison-table.js";
import type { ComparisonTableRow } from "./comparison-table.js";
import { percentileCurve } from "./percentile-curve.js";
import type { PercentilePoint } from "./percentile-curve.js";

// The format-independent content of a report. Each renderer (text, Markdown, JSON, HTML) lays out
// this model; none of them reads the result directly.

/** The experiment-level facts of a report. */
export interface ReportSummary {
  /** ISO 8601 time the run started. */
  startTime: string;
  /** Every task completed and the run was not interrupted; `undefined` when the task count is unknown. */
  completed: boolean | undefined;
  failed: boolean;
  numCompletedTasks: number;
  numTasks: number | undefined;
  aborted: boolean;
  failedTask: TaskFailure | undefined;
}

/** How one version fares against one SLO: `no-data` covers a missing value and an unassessed SLO. */
export type SloStatus = "pass" | "fail" | "no-data";

/** Why an SLO cell shows what it shows: the SLO check's reason, or `not-assessed`. */
export type ReportSloReason = SloCheckReason | "not-assessed";

/** The outcome of one SLO for one version. */
export interface ReportSloCheck {
  status: SloStatus;
  /** As recorded in the result (`insights.SLOsSatisfied`); `undefined` when not assessed. */
  satisfied: boolean | undefined;
  /** The value the SLO was judged on, when there is one. */
  value: number | undefined;
  reason: ReportSloReason;
  /** Why there is no value (from the metrics backend, e.g. an HTTP error), when known. */
  detail?: string;
}

/** One SLO and whether each version satisfies it (`undefined`: not assessed for that version). */
export interface ReportSloRow {
  /** As people read it, e.g. `built-in/p95.0 <= 100`. */
  label: string;
  /** The metric, with its name normalised (`built-in/p95` → `built-in/p95.0`). */
  metric: string;
  lowerLimit: number | undefined;
  upperLimit: number | undefined;
  /** Units of the metric, when the result describes them. */
  units: string | undefined;
  satisfied: Array<boolean | undefined>;
  /** One per version. */
  checks: ReportSloCheck[];
}

/** Which way a metric improves, when that is known; the best value of a row is marked by it. */
export type MetricDirection = "lower" | "higher";

/** One metric and its latest value per version (`undefined`: unavailable). */
export interface ReportMetricRow {
  name: string;
  units: string | undefined;
  description: string | undefined;
  type: MetricType | undefined;
  values: Array<number | undefined>;
  /** `undefined` when neither direction is better (e.g. request counts) or it is unknown. */
  better: MetricDirection | undefined;
  /** Indexes of the versions holding the best value; empty unless two or more values differ. */
  best: number[];
}

/** One version's load details, as the charts use them. */
export interface ReportVersionLoad {
  statusCodes: Record<string, number>;
  errorClasses: Record<string, number>;
  /** Latency histogram buckets `[lowerMs, upperMs, count]`. */
  histogram: Array<[number, number, number]>;
  /** Latency (ms) by percentile, p0 to p99.9, from the metrics and the histogram. */
  percentiles: PercentilePoint[];
  timeline: NonNullable<VersionLoadDetails["timeline"]>;
  dispatchLagMs: VersionLoadDetails["dispatchLagMs"];
  partial: boolean;
  /** A sharded run's shards: requests each measured and the start skew. */
  shards: VersionLoadDetails["shards"];
}

/** Everything a report shows, in display order. */
export interface ReportModel {
  summary: ReportSummary;
  /** Display names of the versions, by index: `version 0`, `version 1`, ... */
  versions: string[];
  /** Indexed [version]: satisfies every SLO; `undefined` when SLOs were not assessed. */
  slosSatisfiedBy: Array<boolean | undefined>;
  /** Empty when no SLOs were assessed. */
  slos: ReportSloRow[];
  /** Sorted by metric name. */
  metrics: ReportMetricRow[];
  /** Indexed [version]; `undefined` for a version without load details (skipped, or no load task). */
  loads: Array<ReportVersionLoad | undefined>;
  /** A/B/n: candidates compared with version 0 on the rewards; absent when none were assessed. */
  comparisons?: ReportComparisons;
}

/** The comparison table of an A/B/n assessment and its verdict. */
export interface ReportComparisons {
  method: "welch" | "sequential" | "bayesian";
  /** Heading of the evidence column: `p (Holm)` or `chance to win`. */
  evidenceLabel: string;
  rows: ComparisonTableRow[];
  /** The winning version; `undefined` when there is no winner yet. */
  winner: number | undefined;
  /** Who won and by how much, or why there is no winner yet. */
  reason: string;
  warnings: string[];
}

/** Builds the content of a report from a result and, when known, its experiment. */
export function buildReportModel(
  result: ExperimentResult,
  experiment: Experiment | undefined,
): ReportModel {
  const insights = result.insights;
  const numVersions = Math.max(0, insights?.numVersions ?? 0);
  const versionIndexes = Array.from({ length: numVersions }, (_, v) => v);
  const numTasks = experiment?.tasks.length ?? result.numTasks;
  const aborted = result.aborted === true;
  const sloList = insights?.SLOs ?? [];

  const slos = sloList.map((slo, i): ReportSloRow => {
    const metric = normaliseMetricName(slo.metric);
    const satisfied = versionIndexes.map((v) => {
      const ok = insights?.SLOsSatisfied?.[i]?.[v];
      return typeof ok === "boolean" ? ok : undefined;
    });
    return {
      label: formatSlo(slo),
      metric,
      lowerLimit: slo.lowerLimit,
      upperLimit: slo.upperLimit,
      units: metricInfoOf(insights, metric)?.units || undefined,
      satisfied,
      checks: versionIndexes.map((v) => sloCheckOf(slo, v, insights, satisfied[v])),
    };
  });

  const names = new Set(Object.keys(insights?.metricsInfo ?? {}));
  for (const values of insights?.metricValues ?? []) {
    for (const name of Object.keys(values ?? {})) names.add(name);
  }
  const metrics = [...names].sort(compareNames).map((name): ReportMetricRow => {
    const info = metricInfoOf(insights, name);
    const units = info?.units || undefined;
    const values = versionIndexes.map((v) => latestMetricValue(insights, v, name));
    const better = directionOf(name, units, sloList, insights?.rewards ?? []);
    return {
      name,
      units,
      description: info?.description || undefined,
      type: info?.type,
      values,
      better,
      best: bestVersions(values, better),
    };
  });

  const slosAssessed = insights?.SLOsSatisfiedBy !== undefined || sloList.length > 0;
  return {
    summary: {
      startTime: result.startTime,
      completed:
        numTasks === undefined ? undefined : result.numCompletedTasks === numTasks && !aborted,
      failed: result.failure,
      numCompletedTasks: result.numCompletedTasks,
      numTasks,
      aborted,
      failedTask: result.failedTask,
    },
    versions: versionIndexes.map((v) => `version ${v}`),
    slosSatisfiedBy: versionIndexes.map((v) => {
      const ok = insights?.SLOsSatisfiedBy?.[v];
      return slosAssessed && typeof ok === "boolean" ? ok : undefined;
    }),
    slos,
    metrics,
    loads: versionIndexes.map((v) => loadOf(insights, v)),
    ...comparisonsOf(result),
  };
}

function metricInfoOf(insights: Insights | undefined, name: string) {
  const info = insights?.metricsInfo;
  if (!info) return undefined;
  return Object.hasOwn(info, name) ? info[name] : undefined;
}

// The result's verdict (`SLOsSatisfied`) decides pass or fail; the check adds the value and why.
function comparisonsOf(result: ExperimentResult): { comparisons?: ReportComparisons } {
  const winner = result.insights?.winner;
  const rows = comparisonTableRows(result);
  if (!winner || rows.length === 0) return {};
  return {
    comparisons: {
      method: winner.method,
      evidenceLabel: winner.method === "bayesian" ? "chance to win" : "p (Holm)",
      rows,
      winner: winner.version,
      reason: winner.reason,
      warnings: winner.warnings ?? [],
    },
  };
}

function sloCheckOf(
  slo: SLO,
  version: number,
  insights: Insights | undefined,
  satisfied: boolean | undefined,
): ReportSloCheck {
  const check = checkSlo(slo, version, insights);
  if (satisfied === undefined) {
    return { status: "no-data", satisfied, value: check.value, reason: "not-assessed" };
  }
  if (satisfied) return { status: "pass", satisfied, value: check.value, reason: "ok" };
  if (check.reason === "no-data") {
    const problem = insights?.metricProblems?.[version]?.[normaliseMetricName(slo.metric)];
    return {
      status: "no-data",
      satisfied,
      value: undefined,
      reason: "no-data",
      ...(problem ? { detail: problem.reason } : {}),
    };
  }
  // Recorded as failing though the value passes today (e.g. limits changed): still a failure.
  return {
    status: "fail",
    satisfied,
    value: check.value,
    reason: check.reason === "ok" ? "above-upper" : check.reason,
  };
}

// Errors and latencies of a request improve downwards: built-in (and gRPC) counts and rates of
// errors, mean, min, max and percentile latencies. A standard deviation is not ranked: a version
// that is slower on every request can have the smaller spread, and a star there would read as
// "faster".
const LOWER_IS_BETTER =
  /^(built-in\/(error-count|error-rate|mean-latency|min-latency|max-latency|p\d+(\.\d+)?)|grpc\/(error-count|error-rate|latency\/(mean|min|max|p\d+(\.\d+)?)))$/;

/**
 * Which way a metric improves: a reward's preferred direction; an SLO with only an upper (lower)
 * limit says lower (higher); built-in errors and latencies improve downwards; rates per second
 * upwards; otherwise (request counts, standard deviations, unknown metrics) unknown.
 */
function directionOf(
  name: string,
  units: string | undefined,
  slos: readonly SLO[],
  rewards: ReadonlyArray<{ metric: string; preferredDirection: "high" | "low" }>,
): MetricDirection | undefined {
  for (const reward of rewards) {
    if (normaliseMetricName(reward.metric) === name) {
      return reward.preferredDirection === "high" ? "higher" : "lower";
    }
  }
  for (const slo of slos) {
    if (normaliseMetricName(slo.metric) !== name) continue;
    if (slo.upperLimit !== undefined && slo.lowerLimit === undefined) return "lower";
    if (slo.lowerLimit !== undefined && slo.upperLimit === undefined) return "higher";
  }
  if (LOWER_IS_BETTER.test(name)) return "lower";
  if (units !== undefined && /\/s(ec)?$/.test(units)) return "higher";
  return undefined;
}

function bestVersions(values: Array<number | undefined>, better: MetricDirection | undefined) {
  if (better === undefined) return [];
  const present = values.filter((value): value is number => value !== undefined);
  if (present.length < 2 || present.every((value) => value === present[0])) return [];
  const best = better === "lower" ? Math.min(...present) : Math.max(...present);
  return values.flatMap((value, v) => (value === best ? [v] : []));
}

function loadOf(insights: Insights | undefined, version: number): ReportVersionLoad | undefined {
  const details = insights?.loadDetails?.[version];
  if (!details) return undefined;
  const metricsOfVersion = insights?.metricValues[version] ?? {};
  const exact: PercentilePoint[] = [];
  const min = latestMetricValue(insights, version, "built-in/min-latency");
  if (min !== undefined) exact.push({ percentile: 0, latencyMs: min });
  for (const name of Object.keys(metricsOfVersion)) {
    const match = /^built-in\/p(\d+(?:\.\d+)?)$/.exec(name);
    const value = latestMetricValue(insights, version, name);
    if (match?.[1] && value !== undefined) {
      exact.push({ percentile: Number(match[1]), latencyMs: value });
    }
  }
  return {
    statusCodes: { ...details.statusCodes },
    errorClasses: { ...details.errorClasses },
    histogram: details.histogram.map(([lower, upper, count]): [number, number, number] => [
      lower,
      upper,
      count,
    ]),
    percentiles: percentileCurve(details.histogram, exact),
    timeline: details.timeline ? details.timeline.map((sample) => ({ ...sample })) : [],
    dispatchLagMs: details.dispatchLagMs ? { ...details.dispatchLagMs } : undefined,
    partial: details.partial === true,
    shards: details.shards
      ? { ...details.shards, requests: [...details.shards.requests] }
      : undefined,
  };
}

/** Code-unit order, so the order is the same on every machine and locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
