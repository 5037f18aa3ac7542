export { TASK_NAMES } from "./model.js";
export type {
  AbnMetricsInputs,
  AbnMetricsTask,
  AssessInputs,
  AssessTask,
  Condition,
  CustomMetricsInputs,
  CustomMetricsTask,
  ErrorRange,
  Experiment,
  ExperimentResult,
  Insights,
  LoadInputs,
  LoadTask,
  MetricInfo,
  MetricProblem,
  MetricSummary,
  MetricType,
  ProxyMetricsInputs,
  ProxyMetricsTask,
  Reward,
  RewardComparison,
  RunInputs,
  RunOutput,
  RunTask,
  SLO,
  Task,
  TaskFailure,
  VersionInfo,
  VersionLoadDetails,
  WinnerAssessment,
} from "./model.js";
export { formatSpecIssue, Iter8Error, SPEC_ERROR_CODES, SpecError } from "./errors.js";
export type { ParseResult, SpecErrorCode, SpecIssue } from "./errors.js";
export { loadExperiment, parseExperiment, validateExperimentFile } from "./parse-experiment.js";
export type { ParseOptions } from "./parse-experiment.js";
export { formatCondition, parseCondition } from "./condition.js";
export { formatDuration, parseDuration } from "./duration.js";
export {
  compareMetricNames,
  formatResult,
  loadResult,
  parseResult,
  resultSchema,
  saveResult,
} from "./result.js";
export { DEFAULT_LOAD, experimentJsonSchema, experimentSchema, HTTP_METHODS } from "./schema.js";
export {
  BUILT_IN_METRICS,
  builtInNameOfV011Metric,
  isBuiltInMetric,
  normaliseMetricName,
  percentileMetricName,
  percentileOfMetric,
} from "./metric-names.js";
export { MAX_ALIAS_EXPANSION, MAX_DOCUMENT_BYTES } from "./yaml-source.js";
export {
  DEFAULT_ROUTING,
  ROUTING_LIMITS,
  loadRouting,
  parseRouting,
  parseRoutingOrThrow,
  routingJsonSchema,
  routingSchema,
  routingToDocument,
  validateRoutingFile,
} from "./routing.js";
export type {
  MirrorTarget,
  Route,
  RouteAffinity,
  RouteMatch,
  Routing,
  RoutingKubernetes,
  RoutingParseOptions,
  RoutingVersion,
  StringMatch,
  WeightedVersion,
} from "./routing.js";
export { DEFAULT_ROLLOUT, loadRollout, parseRollout, rolloutSchema } from "./routing-rollout.js";
export type { RolloutCustomMetrics, RolloutSpec } from "./routing-rollout.js";
