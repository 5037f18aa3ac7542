import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors the `iter8 abn` service and client throw. */
export const ABN_ERROR_CODES = {
  /** A request or configuration is malformed (unknown app, missing user, bad value). */
  invalid: "ITER8_ABN_INVALID",
  /** The store cannot be opened, read or written. */
  storage: "ITER8_ABN_STORAGE",
  /** The store is full (disk full, or its size limit reached): nothing of the write was kept. */
  storageFull: "ITER8_ABN_STORAGE_FULL",
  /** The service answered with an error or could not be reached. */
  request: "ITER8_ABN_REQUEST",
} as const;

/** One of {@link ABN_ERROR_CODES}. */
export type AbnErrorCode = (typeof ABN_ERROR_CODES)[keyof typeof ABN_ERROR_CODES];

/** The kind of every {@link AbnErrorCode}: a malformed request or configuration is invalid input. */
export const ABN_ERROR_KINDS: ErrorKindTable<AbnErrorCode> = {
  ITER8_ABN_INVALID: "invalid-input",
  ITER8_ABN_STORAGE: "failure",
  ITER8_ABN_STORAGE_FULL: "failure",
  ITER8_ABN_REQUEST: "failure",
};

/** An error of the A/B/n service or its client; `code` is stable, `message` one line for people. */
export class AbnError extends Iter8Error<AbnErrorCode> {
  override readonly name = "AbnError";
  protected override get kinds(): ErrorKindTable<AbnErrorCode> {
    return ABN_ERROR_KINDS;
  }

  constructor(code: AbnErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
  }
}
