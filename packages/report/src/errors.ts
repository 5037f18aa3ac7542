/** Stable codes of the errors `@iter8/report` throws. */
export const REPORT_ERROR_CODES = {
  /** The requested report format is unknown or not built yet. */
  format: "ITER8_REPORT_FORMAT",
} as const;

/** One of {@link REPORT_ERROR_CODES}. */
export type ReportErrorCode = (typeof REPORT_ERROR_CODES)[keyof typeof REPORT_ERROR_CODES];

/** A report could not be rendered; `code` is stable, `message` is one line for people. */
export class ReportError extends Error {
  /** Stable machine-readable code (`ITER8_...`). */
  readonly code: ReportErrorCode;
  /** What the caller can do about it, when there is something to say. */
  readonly hint: string | undefined;

  constructor(code: ReportErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "ReportError";
    this.code = code;
    this.hint = hint;
  }
}
