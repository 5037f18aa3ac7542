import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors `@iter8/report` throws. */
export const REPORT_ERROR_CODES = {
  /** The requested report format is unknown or not built yet. */
  format: "ITER8_REPORT_FORMAT",
} as const;

/** One of {@link REPORT_ERROR_CODES}. */
export type ReportErrorCode = (typeof REPORT_ERROR_CODES)[keyof typeof REPORT_ERROR_CODES];

/** The kind of every {@link ReportErrorCode}. */
export const REPORT_ERROR_KINDS: ErrorKindTable<ReportErrorCode> = {
  ITER8_REPORT_FORMAT: "invalid-input",
};

/** A report could not be rendered; `code` is stable, `message` is one line for people. */
export class ReportError extends Iter8Error<ReportErrorCode> {
  override readonly name = "ReportError";
  protected override get kinds(): ErrorKindTable<ReportErrorCode> {
    return REPORT_ERROR_KINDS;
  }
}
