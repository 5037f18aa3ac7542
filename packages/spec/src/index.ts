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
export {
  ERROR_KINDS,
  formatSpecIssue,
  Iter8Error,
  SPEC_ERROR_CODES,
  SPEC_ERROR_KINDS,
  SpecError,
} from "./errors.js";
export type {
  ErrorKindTable,
  Iter8ErrorKind,
  ParseResult,
  SpecErrorCode,
  SpecIssue,
} from "./errors.js";
export { loadExperiment, parseExperiment, validateExperimentFile } from "./parse-experiment.js";
export type { LoadExperimentOptions, ParseOptions } from "./parse-experiment.js";
export { formatCondition, parseCondition } from "./condition.js";
export { formatDuration, parseDuration } from "./duration.js";
export {
  compareMetricNames,
  formatResult,
  loadResult,
  parseResult,
  RESULT_FILE,
  resultSchema,
  saveResult,
} from "./result.js";
export {
  DEFAULT_LOAD,
  experimentJsonSchema,
  experimentSchema,
  HTTP_METHODS,
} from "./schema/index.js";
export {
  BUILT_IN_METRICS,
  builtInNameOfV011Metric,
  isBuiltInMetric,
  normaliseMetricName,
  percentileMetricName,
  percentileOfMetric,
} from "./metric-names.js";
export { MAX_ALIAS_EXPANSION, MAX_DOCUMENT_BYTES } from "./yaml-source.js";
export { writeFileAtomic } from "./atomic-write.js";
export {
  DEFAULT_ROUTING,
  PROXY_TOKEN_ENV,
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
export { explainBadHeaderValue } from "./header-value.js";
export { MAX_DURATION_TEXT, SPEC_LIMITS } from "./limits.js";
