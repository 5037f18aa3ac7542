export { runExperiment, RESULT_FILE } from "./run-experiment.js";
export type { RunExperimentOptions } from "./run-experiment.js";
export { createTaskRegistry } from "./registry.js";
export type { TaskContext, TaskRegistry, TaskRunner } from "./registry.js";
export type { EngineEvent } from "./events.js";
export { EngineError, ENGINE_ERROR_CODES } from "./errors.js";
export {
  DEFAULT_RUN_TIMEOUT_MS,
  RUN_KILL_GRACE_MS,
  RUN_OUTPUT_LIMIT,
  stopProcessGroup,
} from "./tasks/run-script.js";
