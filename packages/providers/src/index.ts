export { PROVIDER_ERROR_CODES, PROVIDER_ERROR_KINDS, ProviderError } from "./errors.js";
export type { ProviderErrorCode } from "./errors.js";
export { renderTemplate } from "./go-template/index.js";
export type { TemplateValues } from "./go-template/index.js";
export { compileJq } from "./jq.js";
export type { JqProgram } from "./jq.js";
export {
  bodySnippet,
  callBackend,
  DEFAULT_BACKEND_RETRIES,
  DEFAULT_BACKEND_TIMEOUT_MS,
} from "./backend-call.js";
export {
  MAX_BACKEND_TEXT_CHARS,
  providerSecrets,
  redactCredentialPatterns,
  redactSecrets,
  sanitizeBackendText,
} from "./redact.js";
export type { BackendAnswer, BackendCallOptions, BackendRequest } from "./backend-call.js";
export {
  measurePrometheusResult,
  parsePrometheusResponse,
  parsePrometheusValue,
  queryPrometheus,
  queryPrometheusRange,
} from "./prometheus.js";
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
} from "./prometheus.js";
export { SUMMARY_PARTS, parseProviderSpec, resolveAuthHeaders } from "./provider-spec.js";
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
} from "./provider-spec.js";
export { readProviderTemplate, renderProviderSpec } from "./provider-template.js";
export type { ReadTemplateOptions } from "./provider-template.js";
export { collectProviderMetrics } from "./collect-provider-metrics.js";
export type { CollectProviderOptions, ProviderMeasurement } from "./collect-provider-metrics.js";
export { BUILT_IN_TEMPLATES, builtInTemplatePath, isBuiltInTemplate } from "./templates.js";
export type { BuiltInTemplate } from "./templates.js";
