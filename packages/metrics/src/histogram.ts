// The `@iter8/metrics/histogram` entry: the latency histogram and the built-in metrics alone. The
// package index also exports the metric providers, whose schema, YAML and HTTP libraries cost a
// load generator about 16 MB of resident memory it does not need. Everything here is also
// exported from the index.
export { LatencyHistogram } from "./latency-histogram.js";
export { deriveBuiltInMetrics } from "./built-in-metrics.js";
export type { BuiltInMetrics, LoadSummary } from "./built-in-metrics.js";
