export { LatencyHistogram } from "./latency-histogram.js";
export { builtInMetricSummaries, deriveBuiltInMetrics } from "./built-in-metrics.js";
export type { BuiltInMetrics, LoadStatisticsInput, LoadSummary } from "./built-in-metrics.js";
export { deriveGrpcMetrics, grpcMetricSummaries } from "./grpc-metrics.js";
export type { GrpcMetricsInput } from "./grpc-metrics.js";
