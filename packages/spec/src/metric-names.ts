/** Prefix of the metrics iter8's load task collects itself. */
export const BUILT_IN_PREFIX = "built-in/";

/** Built-in metric names other than latency percentiles (DESIGN §3). */
export const BUILT_IN_METRICS = [
  "built-in/request-count",
  "built-in/error-count",
  "built-in/error-rate",
  "built-in/mean-latency",
  "built-in/stddev-latency",
  "built-in/min-latency",
  "built-in/max-latency",
] as const;

const PERCENTILE_METRIC = /^built-in\/p(\d+)(?:\.(\d+))?$/;

/** Formats a percentile with at least one decimal, as Iter8 names them: 95 → `95.0`, 99.9 → `99.9`. */
export function formatPercentile(p: number): string {
  const text = String(p);
  return text.includes(".") || !Number.isFinite(p) ? text : `${text}.0`;
}

/** The built-in metric name of a latency percentile: 95 → `built-in/p95.0`, 99.9 → `built-in/p99.9`. */
export function percentileMetricName(p: number): string {
  return `${BUILT_IN_PREFIX}p${formatPercentile(p)}`;
}

// gRPC latency percentiles: `grpc/latency/p95`, `grpc-<endpoint>/latency/p99.9`.
const GRPC_PERCENTILE_METRIC =
  /^(grpc(?:-[A-Za-z0-9][A-Za-z0-9_.-]*)?)\/latency\/p(\d+)(?:\.(\d+))?$/;

/**
 * The gRPC latency percentile a metric stands for, with its prefix: `grpc/latency/p95` →
 * `{ prefix: "grpc", percentile: 95 }`, `grpc-hello/latency/p99.9` → `{ prefix: "grpc-hello", ... }`.
 */
export function grpcPercentileOfMetric(
  name: string,
): { prefix: string; percentile: number } | undefined {
  const match = GRPC_PERCENTILE_METRIC.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  const p = Number(`${match[2]}.${match[3] ?? "0"}`);
  return p > 0 && p <= 100 ? { prefix: match[1], percentile: p } : undefined;
}

/**
 * The canonical name of a metric: built-in and gRPC latency percentiles carry at least one
 * decimal (`built-in/p95` → `built-in/p95.0`, `grpc/latency/p50` → `grpc/latency/p50.0`); every
 * other name is returned as is.
 */
export function normaliseMetricName(name: string): string {
  const grpc = grpcPercentileOfMetric(name);
  if (grpc) return `${grpc.prefix}/latency/p${formatPercentile(grpc.percentile)}`;
  const match = PERCENTILE_METRIC.exec(name);
  if (!match?.[1]) return name;
  const p = Number(`${match[1]}.${match[2] ?? "0"}`);
  if (!(p > 0 && p <= 100)) return name;
  return percentileMetricName(p);
}

/** The percentile a built-in percentile metric stands for (`built-in/p95.0` → 95), if it is one. */
export function percentileOfMetric(name: string): number | undefined {
  const match = PERCENTILE_METRIC.exec(name);
  if (!match?.[1]) return undefined;
  const p = Number(`${match[1]}.${match[2] ?? "0"}`);
  return p > 0 && p <= 100 ? p : undefined;
}

/** True when `name` (after normalising) is a metric iter8's load task can produce. */
export function isBuiltInMetric(name: string): boolean {
  const canonical = normaliseMetricName(name);
  return (
    (BUILT_IN_METRICS as readonly string[]).includes(canonical) ||
    percentileOfMetric(canonical) !== undefined
  );
}

const V011_METRICS: Record<string, string> = {
  "http/request-count": "built-in/request-count",
  "http/error-count": "built-in/error-count",
  "http/error-rate": "built-in/error-rate",
  "http/latency-mean": "built-in/mean-latency",
  "http/latency-stddev": "built-in/stddev-latency",
  "http/latency-min": "built-in/min-latency",
  "http/latency-max": "built-in/max-latency",
};

const V011_PERCENTILE = /^http\/latency-p(\d+(?:\.\d+)?)$/;

/**
 * The built-in name of an Iter8 v0.11 `http/...` metric (`http/latency-p95` → `built-in/p95.0`,
 * `http/latency-mean` → `built-in/mean-latency`), or undefined when it has none.
 */
export function builtInNameOfV011Metric(name: string): string | undefined {
  const direct = V011_METRICS[name];
  if (direct) return direct;
  const match = V011_PERCENTILE.exec(name);
  if (!match?.[1]) return undefined;
  const p = Number(match[1]);
  return p > 0 && p <= 100 ? percentileMetricName(p) : undefined;
}
