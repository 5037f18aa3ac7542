import type { BuiltInMetrics } from "@iter8/metrics";
import type { ProviderMeasurement } from "@iter8/providers";
import type { Insights, MetricInfo, MetricProblem, MetricSummary } from "@iter8/spec";

/**
 * Records one task's metrics into an experiment's insights: metric metadata, values (Iter8 keeps
 * a list per metric, so a later measurement of the same metric is appended), sufficient statistics
 * for comparisons, and the problems of metrics without a value. Every task that measures uses it.
 */
export class InsightsRecorder {
  /** The insights recorded into, widened to the task's number of versions. */
  readonly insights: Insights;
  private readonly problems: Array<Record<string, MetricProblem>>;
  private readonly summaries: Array<Record<string, MetricSummary>>;

  /** Adds to `existing` (or new insights), widened to `numVersions` versions if needed. */
  constructor(existing: Insights | undefined, numVersions: number) {
    const insights: Insights = existing ?? { numVersions, metricsInfo: {}, metricValues: [] };
    insights.numVersions = Math.max(insights.numVersions, numVersions);
    while (insights.metricValues.length < insights.numVersions) insights.metricValues.push({});
    this.insights = insights;
    this.problems = insights.metricProblems ?? [];
    this.summaries = insights.metricSummaries ?? [];
  }

  /** Records metric metadata (a later description of the same metric replaces the earlier). */
  recordInfo(metricsInfo: Record<string, MetricInfo>): void {
    Object.assign(this.insights.metricsInfo, metricsInfo);
  }

  /** Appends `values` to `metric`'s list for `version`; the metric no longer has a problem there. */
  appendValues(version: number, metric: string, values: readonly number[]): void {
    const own = this.insights.metricValues[version] ?? {};
    own[metric] = [...(own[metric] ?? []), ...values];
    this.insights.metricValues[version] = own;
    delete this.problemsOf(version)[metric];
  }

  /** Records derived built-in metrics (metadata and values) for `version`. */
  recordBuiltIns(version: number, derived: BuiltInMetrics): void {
    this.recordInfo(derived.metricsInfo);
    for (const [metric, observed] of Object.entries(derived.values)) {
      this.appendValues(version, metric, observed);
    }
  }

  /** Records why `metric` has no value for `version`. */
  recordProblem(version: number, metric: string, problem: MetricProblem): void {
    this.problemsOf(version)[metric] = problem;
  }

  /** Records `metric`'s sufficient statistics for `version` (the latest replaces the earlier). */
  recordSummary(version: number, metric: string, summary: MetricSummary): void {
    this.summariesOf(version)[metric] = summary;
  }

  /** Records a map of sufficient statistics for `version`. */
  recordSummaries(version: number, summaries: Record<string, MetricSummary>): void {
    for (const [metric, summary] of Object.entries(summaries)) {
      this.recordSummary(version, metric, summary);
    }
  }

  /**
   * Records one version's provider measurements (`custommetrics`): metadata, a value or the problem
   * of a metric without one (no data, NaN, a backend error), and the summary of a mean or
   * proportion metric.
   */
  recordMeasurements(version: number, measurements: readonly ProviderMeasurement[]): void {
    for (const m of measurements) {
      this.insights.metricsInfo[m.name] = m.info;
      // A mean or proportion metric: the latest complete summary, for comparing versions.
      if (m.summary !== undefined) this.recordSummary(version, m.name, m.summary);
      if (m.status === "ok" && m.value !== undefined) this.appendValues(version, m.name, [m.value]);
      else if (m.status !== "ok") {
        this.recordProblem(version, m.name, { status: m.status, reason: m.reason ?? m.status });
      }
    }
  }

  /**
   * The insights with the problems and summaries written back: `metricProblems` only while some
   * metric has one, `metricSummaries` once some version has one.
   */
  finish(): Insights {
    const width = this.insights.numVersions;
    if (this.problems.some((p) => Object.keys(p).length > 0)) {
      while (this.problems.length < width) this.problems.push({});
      this.insights.metricProblems = this.problems;
    } else delete this.insights.metricProblems;
    if (this.summaries.some((s) => Object.keys(s).length > 0)) {
      while (this.summaries.length < width) this.summaries.push({});
      this.insights.metricSummaries = this.summaries;
    }
    return this.insights;
  }

  private problemsOf(version: number): Record<string, MetricProblem> {
    while (this.problems.length <= version) this.problems.push({});
    return (this.problems[version] ??= {});
  }

  private summariesOf(version: number): Record<string, MetricSummary> {
    while (this.summaries.length <= version) this.summaries.push({});
    return (this.summaries[version] ??= {});
  }
}
