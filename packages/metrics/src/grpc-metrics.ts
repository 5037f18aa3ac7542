import type { MetricInfo, MetricSummary } from "@iter8/spec";
import type { BuiltInMetrics, LoadMetricNames, LoadSummary } from "./built-in-metrics.js";
import { builtInMetricSummaries, deriveLoadMetrics, formatPercentile } from "./built-in-metrics.js";
import type { LatencyHistogram } from "./latency-histogram.js";

/**
 * The prefix of a gRPC load's metrics: `grpc` (Iter8's), or `grpc-<endpoint>` for an Iter8
 * v0.13+ endpoint.
 */
export function grpcMetricPrefix(endpoint?: string): string {
  return endpoint === undefined ? "grpc" : `grpc-${endpoint}`;
}

/**
 * The names of a gRPC load's metrics, as Iter8 named them: `grpc/request-count`,
 * `grpc/error-count`, `grpc/error-rate`, `grpc/latency/mean|stddev|min|max|pX`; with an
 * endpoint, `grpc-<endpoint>/...`.
 */
export function grpcMetricNames(endpoint?: string): LoadMetricNames {
  const prefix = grpcMetricPrefix(endpoint);
  return {
    requestCount: `${prefix}/request-count`,
    errorCount: `${prefix}/error-count`,
    errorRate: `${prefix}/error-rate`,
    meanLatency: `${prefix}/latency/mean`,
    stddevLatency: `${prefix}/latency/stddev`,
    minLatency: `${prefix}/latency/min`,
    maxLatency: `${prefix}/latency/max`,
    percentile: (p) => `${prefix}/latency/p${formatPercentile(p)}`,
    unit: "calls",
  };
}

/** What gRPC metrics are derived from: a structural subset of `@iter8/grpc`'s `GrpcLoadResult`. */
export interface GrpcMetricsInput extends LoadSummary {
  /** Calls by gRPC status name, e.g. `{ OK: 198, Unavailable: 2 }`. */
  statusNames: Record<string, number>;
  /** Per-message figures of streaming calls. */
  streams?: {
    messagesSent: number;
    messagesReceived: number;
    sentRate: number;
    receivedRate: number;
    /** µs from the start of a call to its first response message. */
    firstMessage: LatencyHistogram;
  };
}

const MS_PER_US = 1 / 1000;

/**
 * A gRPC load's metrics for one version (or one endpoint): the load metrics under Iter8's gRPC
 * names (`deriveLoadMetrics`), one `grpc/status/<Name>` count per status seen (and `OK` always),
 * and for streaming calls `grpc/stream/messages-sent|messages-received` (Counter),
 * `grpc/stream/sent-rate|received-rate` (messages per second) and the time to the first response
 * message, `grpc/stream/first-message/mean` and `.../pX` (msec).
 */
export function deriveGrpcMetrics(
  result: GrpcMetricsInput,
  percentiles: readonly number[],
  endpoint?: string,
): BuiltInMetrics {
  const derived = deriveLoadMetrics(result, percentiles, grpcMetricNames(endpoint));
  const prefix = grpcMetricPrefix(endpoint);
  const info = derived.metricsInfo;
  const values = derived.values;
  const statuses = { OK: 0, ...result.statusNames };
  for (const [name, count] of Object.entries(statuses)) {
    const metric = `${prefix}/status/${name}`;
    info[metric] = {
      description: `number of calls that ended with status ${name}`,
      type: "Counter",
    };
    values[metric] = [count];
  }
  const streams = result.streams;
  if (streams) {
    const add = (name: string, metric: MetricInfo, value: number | undefined) => {
      info[`${prefix}/stream/${name}`] = metric;
      if (value !== undefined && Number.isFinite(value))
        values[`${prefix}/stream/${name}`] = [value];
    };
    add(
      "messages-sent",
      { description: "number of request messages sent in streams", type: "Counter" },
      streams.messagesSent,
    );
    add(
      "messages-received",
      { description: "number of response messages received in streams", type: "Counter" },
      streams.messagesReceived,
    );
    add(
      "sent-rate",
      { description: "request messages sent per second", units: "messages/sec", type: "Gauge" },
      streams.sentRate,
    );
    add(
      "received-rate",
      {
        description: "response messages received per second",
        units: "messages/sec",
        type: "Gauge",
      },
      streams.receivedRate,
    );
    const first = streams.firstMessage;
    const has = first.count > 0;
    add(
      "first-message/mean",
      { description: "mean time to the first response message", units: "msec", type: "Gauge" },
      has ? first.mean * MS_PER_US : undefined,
    );
    for (const p of percentiles) {
      add(
        `first-message/p${formatPercentile(p)}`,
        {
          description: `${String(p)}-th percentile of time to the first response message`,
          units: "msec",
          type: "Gauge",
        },
        has ? first.percentile(p) * MS_PER_US : undefined,
      );
    }
  }
  return derived;
}

/**
 * Sufficient statistics for comparing versions on a gRPC load: `grpc/error-rate` (proportion)
 * and `grpc/latency/mean` (mean, msec), as `builtInMetricSummaries` does for HTTP.
 */
export function grpcMetricSummaries(
  result: LoadSummary,
  endpoint?: string,
): Record<string, MetricSummary> {
  return builtInMetricSummaries(result, grpcMetricNames(endpoint));
}
