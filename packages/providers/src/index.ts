// Public API of this package: what the engine, the CLI and embedders use (see README.md).
/** @public The error class and its code and kind tables, for embedders. */
export { PROVIDER_ERROR_CODES, PROVIDER_ERROR_KINDS, ProviderError } from "./errors.js";
/** @public The codes `ProviderError` carries. */
export type { ProviderErrorCode } from "./errors.js";
/** @public The Go-template subset, documented for library use in docs/metrics.md. */
export { compileTemplate, renderTemplate } from "./go-template/index.js";
/** @public The values a template is rendered with; a compiled template and its extra functions. */
export type { CompiledTemplate, TemplateFunction, TemplateValues } from "./go-template/index.js";
/** @public The jq subset, documented for library use in docs/metrics.md. */
export { compileJq } from "./jq.js";
/** @public A compiled jq expression. */
export type { JqProgram } from "./jq.js";
export { callBackend } from "./backend-call.js";
/** @public The request, options and answer of `callBackend`, for embedders. */
export type { BackendAnswer, BackendCallOptions, BackendRequest } from "./backend-call.js";
export {
  measurePrometheusResult,
  parsePrometheusResponse,
  parsePrometheusValue,
  queryPrometheus,
  queryPrometheusRange,
} from "./prometheus.js";
export type { PrometheusResponse } from "./prometheus.js";
/** @public The queries, options and answers of the Prometheus client, for embedders. */
export type {
  MeasuredValue,
  MeasurementStatus,
  PrometheusClientOptions,
  PrometheusData,
  PrometheusInstantQuery,
  PrometheusLabels,
  PrometheusPoint,
  PrometheusRangeQuery,
} from "./prometheus.js";
export { parseProviderSpec, resolveAuthHeaders } from "./provider-spec.js";
export type { ProviderMetricSpec } from "./provider-spec.js";
/** @public The parts of a provider spec (what `parseProviderSpec` returns), for embedders. */
export type {
  ProviderAuth,
  ProviderQuery,
  ProviderSpec,
  ProviderSummaryMetricSpec,
  ProviderSummaryParts,
  ProviderValueMetricSpec,
  SecretContext,
  SecretSource,
} from "./provider-spec.js";
export { readProviderTemplate, renderProviderSpec } from "./provider-template.js";
/** @public The options of `readProviderTemplate`, for embedders. */
export type { ReadTemplateOptions } from "./provider-template.js";
export { collectProviderMetrics } from "./collect-provider-metrics.js";
/** @public The options and result of `collectProviderMetrics`, for embedders. */
export type { CollectProviderOptions, ProviderMeasurement } from "./collect-provider-metrics.js";
export { BUILT_IN_TEMPLATES, builtInTemplatePath, isBuiltInTemplate } from "./templates.js";
/** @public The name of a built-in provider template. */
export type { BuiltInTemplate } from "./templates.js";
