import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors `@iter8/slo` throws. */
export const SLO_ERROR_CODES = {
  /** An `assert` condition is unknown or malformed, or names a version the result does not have. */
  assertInvalid: "ITER8_ASSERT_INVALID",
  /** Input to a statistics function is malformed (negative counts, p-values outside [0, 1], ...). */
  statsInvalid: "ITER8_STATS_INVALID",
} as const;

/** One of {@link SLO_ERROR_CODES}. */
export type SloErrorCode = (typeof SLO_ERROR_CODES)[keyof typeof SLO_ERROR_CODES];

/** The kind of every {@link SloErrorCode}: both are input the caller can fix. */
export const SLO_ERROR_KINDS: ErrorKindTable<SloErrorCode> = {
  ITER8_ASSERT_INVALID: "invalid-input",
  ITER8_STATS_INVALID: "invalid-input",
};

/** Invalid input to an SLO or assert function; `code` is stable, `message` is one line for people. */
export class SloError extends Iter8Error<SloErrorCode> {
  override readonly name = "SloError";
  protected override get kinds(): ErrorKindTable<SloErrorCode> {
    return SLO_ERROR_KINDS;
  }
}
