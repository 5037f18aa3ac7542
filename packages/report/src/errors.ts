import { Iter8Error } from "@iter8/spec";

/** Stable codes of the errors `@iter8/report` throws. */
export const REPORT_ERROR_CODES = {
  /** The requested report format is unknown or not built yet. */
  format: "ITER8_REPORT_FORMAT",
} as const;

/** One of {@link REPORT_ERROR_CODES}. */
export type ReportErrorCode = (typeof REPORT_ERROR_CODES)[keyof typeof REPORT_ERROR_CODES];

/** A report could not be rendered; `code` is stable, `message` is one line for people. */
export class ReportError extends Iter8Error<ReportErrorCode> {
  override readonly name = "ReportError";
}
