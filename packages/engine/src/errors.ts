import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors the engine raises. */
export const ENGINE_ERROR_CODES = {
  /** The experiment names a task no registered runner handles. */
  unknownTask: "ITER8_TASK_UNKNOWN",
  /** A task failed; the message says why. */
  taskFailed: "ITER8_TASK_FAILED",
  /** A sharded run cannot be split as asked (a shard would get no connections, no rate, ...). */
  shardSplit: "ITER8_SHARD_SPLIT",
  /** A shard's published measurement cannot be read (not one, a newer version, corrupt). */
  shardMeasurement: "ITER8_SHARD_MEASUREMENT",
  /** A shard failed or never reported. */
  shardFailed: "ITER8_SHARD_FAILED",
  /** The shards' meeting place (a directory, Secrets) cannot be read or written. */
  shardExchange: "ITER8_SHARD_EXCHANGE",
} as const;

/** One of {@link ENGINE_ERROR_CODES}. */
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[keyof typeof ENGINE_ERROR_CODES];

/** The kind of every {@link EngineErrorCode}: an unknown task is the experiment's fault. */
export const ENGINE_ERROR_KINDS: ErrorKindTable<EngineErrorCode> = {
  ITER8_TASK_UNKNOWN: "invalid-input",
  ITER8_TASK_FAILED: "failure",
  ITER8_SHARD_SPLIT: "invalid-input",
  ITER8_SHARD_MEASUREMENT: "failure",
  ITER8_SHARD_FAILED: "failure",
  ITER8_SHARD_EXCHANGE: "failure",
};

/** An error raised by the engine or by a task, with a stable `code`. */
export class EngineError extends Iter8Error<EngineErrorCode> {
  override readonly name = "EngineError";
  protected override get kinds(): ErrorKindTable<EngineErrorCode> {
    return ENGINE_ERROR_KINDS;
  }
}
