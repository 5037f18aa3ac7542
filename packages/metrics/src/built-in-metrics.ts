import type { MetricInfo, MetricSummary } from "@iter8/spec";
import type { LatencyHistogram } from "./latency-histogram.js";

/** Prefix of the metrics iter8's load task derives itself. */
const PREFIX = "built-in/";

/** What the built-in metrics are derived from: one version's load. */
export interface LoadSummary {
  /** Completed requests (responses and transport failures). */
  requests: number;
  /** Requests counted as errors (status in an error range, or a transport failure). */
  errors: number;
  /** Latencies in microseconds. */
  latency: LatencyHistogram;
}

/** Built-in metric metadata and one version's values, in the shape of Iter8's `insights`. */
export interface BuiltInMetrics {
  metricsInfo: Record<string, MetricInfo>;
  /** Metric name → observed values (one value each); metrics without a value are absent. */
  values: Record<string, number[]>;
}

/**
 * The name of the built-in metric for a latency percentile, with at least one decimal as Iter8
 * names them: 95 → `built-in/p95.0`, 99.9 → `built-in/p99.9`. The same rule as `@iter8/spec`'s
 * `percentileMetricName` (a test checks they agree), kept here so that loading this package (and
 * the load generator on it) does not load spec's schema and YAML libraries (~18 MB resident).
 */
export function percentileMetricName(p: number): string {
  return `${PREFIX}p${formatPercentile(p)}`;
}

/** A percentile with at least one decimal, as Iter8 names them: 95 → `95.0`, 99.9 → `99.9`. */
export function formatPercentile(p: number): string {
  const text = String(p);
  return text.includes(".") || !Number.isFinite(p) ? text : `${text}.0`;
}

/**
 * How one family of load metrics is named: iter8's HTTP `built-in/...` metrics, or gRPC's
 * `grpc/...` (Iter8's names for each). The derivation is the same for both.
 */
export interface LoadMetricNames {
  requestCount: string;
  errorCount: string;
  errorRate: string;
  meanLatency: string;
  stddevLatency: string;
  minLatency: string;
  maxLatency: string;
  /** The name of a latency percentile, e.g. 95 → `built-in/p95.0`. */
  percentile: (p: number) => string;
  /** What the family counts, in descriptions: `requests` or `calls`. */
  unit: string;
}

/** The names of iter8's HTTP load metrics (DESIGN §3). */
export const BUILT_IN_METRIC_NAMES: LoadMetricNames = Object.freeze({
  requestCount: `${PREFIX}request-count`,
  errorCount: `${PREFIX}error-count`,
  errorRate: `${PREFIX}error-rate`,
  meanLatency: `${PREFIX}mean-latency`,
  stddevLatency: `${PREFIX}stddev-latency`,
  minLatency: `${PREFIX}min-latency`,
  maxLatency: `${PREFIX}max-latency`,
  percentile: percentileMetricName,
  unit: "requests",
});

const MS_PER_US = 1 / 1000;

/**
 * One family of load metrics for one version: request and error counts, error rate,
 * mean/stddev/min/max latency and one percentile metric per requested percentile, latencies in
 * msec (not truncated). With zero requests the error rate and the latency metrics are absent
 * (not 0), so SLOs on them fail. Descriptions as Iter8 writes them.
 */
export function deriveLoadMetrics(
  summary: LoadSummary,
  percentiles: readonly number[],
  names: LoadMetricNames,
): BuiltInMetrics {
  const latencyStats: Array<[string, string, (h: LatencyHistogram) => number]> = [
    [names.meanLatency, "mean of observed latency values", (h) => h.mean],
    [names.stddevLatency, "standard deviation of observed latency values", (h) => h.stddev],
    [names.minLatency, "minimum of observed latency values", (h) => h.min],
    [names.maxLatency, "maximum of observed latency values", (h) => h.max],
  ];
  const metricsInfo: Record<string, MetricInfo> = {
    [names.requestCount]: { description: `number of ${names.unit} sent`, type: "Counter" },
    [names.errorCount]: {
      description: `number of ${names.unit === "requests" ? "responses" : names.unit} that were errors`,
      type: "Counter",
    },
    [names.errorRate]: {
      description: `fraction of ${names.unit === "requests" ? "responses" : names.unit} that were errors`,
      type: "Gauge",
    },
  };
  for (const [name, description] of latencyStats) {
    metricsInfo[name] = { description, units: "msec", type: "Gauge" };
  }
  for (const p of percentiles) {
    metricsInfo[names.percentile(p)] = {
      description: `${String(p)}-th percentile of observed latency values`,
      units: "msec",
      type: "Gauge",
    };
  }

  const values: Record<string, number[]> = {
    [names.requestCount]: [summary.requests],
    [names.errorCount]: [summary.errors],
  };
  if (summary.requests > 0) values[names.errorRate] = [summary.errors / summary.requests];
  const latency = summary.latency;
  if (latency.count > 0) {
    for (const [name, , read] of latencyStats) values[name] = [read(latency) * MS_PER_US];
    for (const p of percentiles) {
      values[names.percentile(p)] = [latency.percentile(p) * MS_PER_US];
    }
  }
  return { metricsInfo, values };
}

/**
 * Iter8's built-in metrics for one version (DESIGN §3): request and error counts, error rate,
 * mean/stddev/min/max latency and one `built-in/pX` per requested percentile, latencies in msec.
 * With zero requests the error rate and the latency metrics are absent (not 0), so SLOs on them fail.
 */
export function deriveBuiltInMetrics(summary: LoadSummary, percentiles: number[]): BuiltInMetrics {
  return deriveLoadMetrics(summary, percentiles, BUILT_IN_METRIC_NAMES);
}

/** What the sufficient statistics of a load are derived from (a structural subset of a load's summary). */
export interface LoadStatisticsInput {
  /** Completed requests. */
  requests: number;
  /** Requests counted as errors. */
  errors: number;
  /** Latency histogram in microseconds: its count, mean and population standard deviation. */
  latency: { count: number; mean: number; stddev: number };
}

/**
 * Sufficient statistics for comparing versions (additive `metricSummaries`) from one version's
 * load: the error rate as a proportion of requests, and, when any latency was recorded, the mean
 * latency in msec from the histogram's count, mean and population stddev (Σx² = n·(σ² + mean²)).
 * Named as `names` say (default the HTTP `built-in/...` names; `grpcMetricNames()` for gRPC).
 */
export function builtInMetricSummaries(
  load: LoadStatisticsInput,
  names: Pick<LoadMetricNames, "errorRate" | "meanLatency"> = BUILT_IN_METRIC_NAMES,
): Record<string, MetricSummary> {
  const summaries: Record<string, MetricSummary> = {
    [names.errorRate]: { type: "proportion", count: load.requests, successes: load.errors },
  };
  const n = load.latency.count;
  if (n > 0) {
    const mean = load.latency.mean / 1000;
    const sd = load.latency.stddev / 1000;
    summaries[names.meanLatency] = {
      type: "mean",
      count: n,
      sum: n * mean,
      sumSquares: n * (sd * sd + mean * mean),
    };
  }
  return summaries;
}
