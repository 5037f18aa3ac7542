// Public API of this package: what the CLI and embedders use (see README.md).
export { runExperiment } from "./run-experiment.js";
/** @public The options of `runExperiment`, for embedders. */
export type { RunExperimentOptions } from "./run-experiment.js";
export { createTaskRegistry } from "./registry.js";
/** @public What a task runner gets and is, for embedders that register their own tasks. */
export type { TaskContext, TaskRegistry, TaskRunner } from "./registry.js";
export type { EngineEvent } from "./events.js";
/** @public The error class and its code and kind tables, for embedders. */
export { EngineError, ENGINE_ERROR_CODES, ENGINE_ERROR_KINDS } from "./errors.js";
/** @public The codes `EngineError` carries. */
export type { EngineErrorCode } from "./errors.js";
export { DEFAULT_RUN_TIMEOUT_MS, RUN_OUTPUT_LIMIT } from "./tasks/run-script.js";
export { runRollout } from "./rollout/lazy.js";
/** @public The options of `runRollout`, for embedders. */
export type { RolloutOptions } from "./rollout/run-rollout.js";
export type { RolloutResult } from "./rollout/run-rollout.js";
export type { RolloutDecision } from "./rollout/decide-step.js";
export { runShard } from "./shard/run-shard.js";
/** @public The default timeouts and start margin of `runShard`, for embedders. */
export { SHARD_DEFAULTS } from "./shard/run-shard.js";
/** @public The options and result of `runShard`, for embedders and the CLI. */
export type { RunShardOptions, ShardRunResult } from "./shard/run-shard.js";
export { createDirectoryExchange } from "./shard/exchange.js";
/** @public The contract every shard exchange implements (a directory here, Secrets in Kubernetes). */
export type { ShardExchange, ShardReport } from "./shard/exchange.js";
/** @public The pure split of an experiment over shards, for embedders. */
export { splitExperiment, splitShares } from "./shard/split.js";
/** @public The versioned encoding of a shard's measurement, for other exchanges and tools. */
export {
  decodeShardMeasurement,
  encodeShardMeasurement,
  MAX_SHARD_MEASUREMENT_BYTES,
  SHARD_MEASUREMENT_VERSION,
} from "./shard/measurement.js";
/** @public What one shard measured, as `encodeShardMeasurement` and `decodeShardMeasurement` see it. */
export type { ShardMeasurement } from "./shard/measurement.js";
