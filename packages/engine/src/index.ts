export { runExperiment } from "./run-experiment.js";
// The result file's name belongs to the data model; re-exported here, where runs write it.
export { RESULT_FILE } from "@iter8/spec";
export type { RunExperimentOptions } from "./run-experiment.js";
export { createTaskRegistry } from "./registry.js";
export type { TaskContext, TaskRegistry, TaskRunner } from "./registry.js";
export type { EngineEvent } from "./events.js";
export { EngineError, ENGINE_ERROR_CODES, ENGINE_ERROR_KINDS } from "./errors.js";
export type { EngineErrorCode } from "./errors.js";
export {
  DEFAULT_RUN_TIMEOUT_MS,
  RUN_KILL_GRACE_MS,
  RUN_OUTPUT_LIMIT,
  stopProcessGroup,
} from "./tasks/run-script.js";
export { runRollout } from "./rollout/run-rollout.js";
export type { RolloutOptions, RolloutResult } from "./rollout/run-rollout.js";
export { decideStep } from "./rollout/decide-step.js";
export type {
  RolloutCandidateCheck,
  RolloutDecision,
  RolloutState,
  StepDecision,
  StepEvaluation,
} from "./rollout/decide-step.js";
export { InsightsRecorder } from "./insights-recorder.js";
