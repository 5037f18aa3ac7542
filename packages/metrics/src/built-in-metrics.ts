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
  const text = String(p);
  return `${PREFIX}p${text.includes(".") || !Number.isFinite(p) ? text : `${text}.0`}`;
}

// Descriptions as Iter8 v0.8 writes them.
const COUNTS: Record<string, MetricInfo> = {
  [`${PREFIX}request-count`]: { description: "number of requests sent", type: "Counter" },
  [`${PREFIX}error-count`]: {
    description: "number of responses that were errors",
    type: "Counter",
  },
  [`${PREFIX}error-rate`]: {
    description: "fraction of responses that were errors",
    type: "Gauge",
  },
};

const LATENCY: Array<[string, string, (h: LatencyHistogram) => number]> = [
  ["mean-latency", "mean of observed latency values", (h) => h.mean],
  ["stddev-latency", "standard deviation of observed latency values", (h) => h.stddev],
  ["min-latency", "minimum of observed latency values", (h) => h.min],
  ["max-latency", "maximum of observed latency values", (h) => h.max],
];

const MS_PER_US = 1 / 1000;

/**
 * Iter8's built-in metrics for one version (DESIGN §3): request and error counts, error rate,
 * mean/stddev/min/max latency and one `built-in/pX` per requested percentile, latencies in msec.
 * With zero requests the error rate and the latency metrics are absent (not 0), so SLOs on them fail.
 */
export function deriveBuiltInMetrics(summary: LoadSummary, percentiles: number[]): BuiltInMetrics {
  const metricsInfo: Record<string, MetricInfo> = { ...COUNTS };
  for (const [name, description] of LATENCY) {
    metricsInfo[`${PREFIX}${name}`] = { description, units: "msec", type: "Gauge" };
  }
  for (const p of percentiles) {
    metricsInfo[percentileMetricName(p)] = {
      description: `${String(p)}-th percentile of observed latency values`,
      units: "msec",
      type: "Gauge",
    };
  }

  const values: Record<string, number[]> = {
    [`${PREFIX}request-count`]: [summary.requests],
    [`${PREFIX}error-count`]: [summary.errors],
  };
  if (summary.requests > 0) {
    values[`${PREFIX}error-rate`] = [summary.errors / summary.requests];
  }
  const latency = summary.latency;
  if (latency.count > 0) {
    for (const [name, , read] of LATENCY) {
      values[`${PREFIX}${name}`] = [read(latency) * MS_PER_US];
    }
    for (const p of percentiles) {
      values[percentileMetricName(p)] = [latency.percentile(p) * MS_PER_US];
    }
  }
  return { metricsInfo, values };
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
 */
export function builtInMetricSummaries(load: LoadStatisticsInput): Record<string, MetricSummary> {
  const summaries: Record<string, MetricSummary> = {
    [`${PREFIX}error-rate`]: { type: "proportion", count: load.requests, successes: load.errors },
  };
  const n = load.latency.count;
  if (n > 0) {
    const mean = load.latency.mean / 1000;
    const sd = load.latency.stddev / 1000;
    summaries[`${PREFIX}mean-latency`] = {
      type: "mean",
      count: n,
      sum: n * mean,
      sumSquares: n * (sd * sd + mean * mean),
    };
  }
  return summaries;
}
