import type { Experiment, ExperimentResult, TaskFailure } from "@iter8/spec";
import { formatSlo, latestMetricValue } from "@iter8/slo";

// The format-independent content of a report. Each renderer (text now; Markdown, JSON and HTML
// later) lays out this model; none of them reads the result directly.

/** The experiment-level facts of a report. */
export interface ReportSummary {
  /** Every task completed and the run was not interrupted; `undefined` when the task count is unknown. */
  completed: boolean | undefined;
  failed: boolean;
  numCompletedTasks: number;
  numTasks: number | undefined;
  aborted: boolean;
  failedTask: TaskFailure | undefined;
}

/** One SLO and whether each version satisfies it (`undefined`: not assessed for that version). */
export interface ReportSloRow {
  /** As people read it, e.g. `built-in/p95.0 <= 100`. */
  label: string;
  satisfied: Array<boolean | undefined>;
}

/** One metric and its latest value per version (`undefined`: unavailable). */
export interface ReportMetricRow {
  name: string;
  units: string | undefined;
  values: Array<number | undefined>;
}

/** Everything a report shows, in display order. */
export interface ReportModel {
  summary: ReportSummary;
  /** Display names of the versions, by index: `version 0`, `version 1`, ... */
  versions: string[];
  /** Empty when no SLOs were assessed. */
  slos: ReportSloRow[];
  /** Sorted by metric name. */
  metrics: ReportMetricRow[];
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

  const slos = (insights?.SLOs ?? []).map((slo, i) => ({
    label: formatSlo(slo),
    satisfied: versionIndexes.map((v) => {
      const ok = insights?.SLOsSatisfied?.[i]?.[v];
      return typeof ok === "boolean" ? ok : undefined;
    }),
  }));

  const names = new Set(Object.keys(insights?.metricsInfo ?? {}));
  for (const values of insights?.metricValues ?? []) {
    for (const name of Object.keys(values ?? {})) names.add(name);
  }
  const metrics = [...names].sort(compareNames).map((name) => ({
    name,
    units: insights?.metricsInfo[name]?.units || undefined,
    values: versionIndexes.map((v) => latestMetricValue(insights, v, name)),
  }));

  return {
    summary: {
      completed:
        numTasks === undefined ? undefined : result.numCompletedTasks === numTasks && !aborted,
      failed: result.failure,
      numCompletedTasks: result.numCompletedTasks,
      numTasks,
      aborted,
      failedTask: result.failedTask,
    },
    versions: versionIndexes.map((v) => `version ${v}`),
    slos,
    metrics,
  };
}

/** Code-unit order, so the order is the same on every machine and locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
