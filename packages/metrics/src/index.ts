export { LatencyHistogram } from "./latency-histogram.js";
export { builtInMetricSummaries, deriveBuiltInMetrics } from "./built-in-metrics.js";
export type { BuiltInMetrics, LoadStatisticsInput, LoadSummary } from "./built-in-metrics.js";
export { PROVIDER_ERROR_CODES, PROVIDER_ERROR_KINDS, ProviderError } from "./providers/errors.js";
export type { ProviderErrorCode } from "./providers/errors.js";
export { renderTemplate } from "./providers/go-template.js";
export type { TemplateValues } from "./providers/go-template.js";
export { compileJq } from "./providers/jq.js";
export type { JqProgram } from "./providers/jq.js";
export {
  bodySnippet,
  callBackend,
  DEFAULT_BACKEND_RETRIES,
  DEFAULT_BACKEND_TIMEOUT_MS,
} from "./providers/backend-call.js";
export {
  MAX_BACKEND_TEXT_CHARS,
  providerSecrets,
  redactCredentialPatterns,
  redactSecrets,
  sanitizeBackendText,
} from "./providers/redact.js";
export type {
  BackendAnswer,
  BackendCallOptions,
  BackendRequest,
} from "./providers/backend-call.js";
export {
  measurePrometheusResult,
  parsePrometheusResponse,
  parsePrometheusValue,
  queryPrometheus,
  queryPrometheusRange,
} from "./providers/prometheus.js";
export type {
  MeasuredValue,
  MeasurementStatus,
  PrometheusClientOptions,
  PrometheusData,
  PrometheusInstantQuery,
  PrometheusLabels,
  PrometheusPoint,
  PrometheusRangeQuery,
  PrometheusResponse,
} from "./providers/prometheus.js";
export { SUMMARY_PARTS, parseProviderSpec, resolveAuthHeaders } from "./providers/provider-spec.js";
export type {
  ProviderAuth,
  ProviderMetricSpec,
  ProviderQuery,
  ProviderSpec,
  ProviderSummaryMetricSpec,
  ProviderSummaryParts,
  ProviderValueMetricSpec,
  SecretContext,
  SecretSource,
} from "./providers/provider-spec.js";
export { readProviderTemplate, renderProviderSpec } from "./providers/provider-template.js";
export type { ReadTemplateOptions } from "./providers/provider-template.js";
export { collectProviderMetrics } from "./providers/collect-provider-metrics.js";
export type {
  CollectProviderOptions,
  ProviderMeasurement,
} from "./providers/collect-provider-metrics.js";
