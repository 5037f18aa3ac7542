export { LatencyHistogram } from "./latency-histogram.js";
export { deriveBuiltInMetrics } from "./built-in-metrics.js";
export type { BuiltInMetrics, LoadSummary } from "./built-in-metrics.js";
