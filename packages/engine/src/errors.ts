import { Iter8Error } from "@iter8/spec";

/** Stable codes of the errors the engine raises. */
export const ENGINE_ERROR_CODES = {
  /** The experiment names a task no registered runner handles. */
  unknownTask: "ITER8_UNKNOWN_TASK",
  /** A task failed; the message says why. */
  taskFailed: "ITER8_TASK_FAILED",
} as const;

/** An error raised by the engine or by a task, with a stable `code`. */
export class EngineError extends Iter8Error<
  (typeof ENGINE_ERROR_CODES)[keyof typeof ENGINE_ERROR_CODES]
> {
  override readonly name = "EngineError";
}
