export { TASK_NAMES } from "./model.js";
/** @public The data model of experiments and results, for embedders that build or read them. */
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
  GrpcInputs,
  GrpcLoadDetails,
  GrpcTarget,
  GrpcTask,
  GrpcTlsInputs,
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
  ShardLoadDetails,
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
export { MAX_DOCUMENT_BYTES } from "./yaml-source.js";
export { parseCondition } from "./condition.js";
/** @public The error kinds, the result of the parse functions and the codes `SpecError` carries. */
export type {
  ErrorKindTable,
  Iter8ErrorKind,
  ParseResult,
  SpecErrorCode,
  SpecIssue,
} from "./errors.js";
export { loadExperiment, parseExperiment, validateExperimentFile } from "./parse-experiment.js";
/** @public The options of `parseExperiment` and `loadExperiment`, for embedders. */
export type { LoadExperimentOptions, ParseOptions } from "./parse-experiment.js";
export { formatDuration, parseDuration } from "./duration.js";
export {
  formatResult,
  loadResult,
  parseResult,
  RESULT_FILE,
  resultSchema,
  saveResult,
} from "./result.js";
export { DEFAULT_LOAD, experimentJsonSchema, experimentSchema } from "./schema/index.js";
export {
  BUILT_IN_METRICS,
  grpcPercentileOfMetric,
  normaliseMetricName,
  percentileMetricName,
  percentileOfMetric,
} from "./metric-names.js";
export { writeFileAtomic } from "./atomic-write.js";
export {
  PROXY_TOKEN_ENV,
  ROUTING_LIMITS,
  loadRouting,
  parseRouting,
  parseRoutingOrThrow,
  routingJsonSchema,
  routingToDocument,
  validateRoutingFile,
} from "./routing.js";
/** @public The routing data model and the options of `parseRouting`, for embedders. */
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
export { loadRollout, parseRollout } from "./routing-rollout.js";
export type { RolloutCustomMetrics, RolloutSpec } from "./routing-rollout.js";
/** @public Also in `@iter8/spec/light`, which the load generator imports. */
export { explainBadHeaderValue } from "./header-value.js";
/** @public Also in `@iter8/spec/light`, which the load generator imports. */
export { explainBadLoadSchedule, planLoadRamp } from "./load-schedule.js";
/** @public A rate ramp (ghz's load schedules) and the names a caller gives its fields in messages. */
export type { LoadSchedule, LoadScheduleKeys } from "./load-schedule.js";
/** @public Also in `@iter8/spec/light`, which the load generator imports. */
export { MAX_DURATION_TEXT, SPEC_LIMITS } from "./limits.js";
