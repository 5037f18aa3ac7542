import { Iter8Error } from "@iter8/spec/light";
import type { ErrorKindTable } from "@iter8/spec/light";

/** Stable codes of `LoadgenError`. */
export const LOADGEN_ERROR_CODES = {
  /** The payload (`payloadStr`, `payloadFile`, `payloadURL`) could not be read or is too large. */
  payload: "ITER8_LOAD_PAYLOAD",
  /** The load options are invalid. */
  options: "ITER8_LOAD_OPTIONS",
} as const;

/** A `LoadgenError` code string. */
export type LoadgenErrorCode = (typeof LOADGEN_ERROR_CODES)[keyof typeof LOADGEN_ERROR_CODES];

/** The kind of every {@link LoadgenErrorCode}: both are input the caller can fix. */
export const LOADGEN_ERROR_KINDS: ErrorKindTable<LoadgenErrorCode> = {
  ITER8_LOAD_PAYLOAD: "invalid-input",
  ITER8_LOAD_OPTIONS: "invalid-input",
};

/** An error of the load generator with a stable `code` (`ITER8_LOAD_PAYLOAD`, `ITER8_LOAD_OPTIONS`). */
export class LoadgenError extends Iter8Error<LoadgenErrorCode> {
  override readonly name = "LoadgenError";
  protected override get kinds(): ErrorKindTable<LoadgenErrorCode> {
    return LOADGEN_ERROR_KINDS;
  }

  /** Creates an error with a code, a message a person can act on and an optional cause. */
  constructor(code: LoadgenErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
  }
}
