export { runExperiment, RESULT_FILE } from "./run-experiment.js";
export type { RunExperimentOptions } from "./run-experiment.js";
export { createTaskRegistry } from "./registry.js";
export type { TaskContext, TaskRegistry, TaskRunner } from "./registry.js";
export type { EngineEvent } from "./events.js";
export { EngineError, ENGINE_ERROR_CODES, ENGINE_ERROR_KINDS } from "./errors.js";
export type { EngineErrorCode } from "./errors.js";
export { RUN_OUTPUT_LIMIT } from "./tasks/run-script.js";
