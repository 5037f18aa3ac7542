// Public API of this package: what the CLI and embedders use (see README.md).
export { renderReport, AVAILABLE_REPORT_FORMATS } from "./render-report.js";
/** @public The options of `renderReport`, for embedders. */
export type { RenderReportOptions, ReportFormat } from "./render-report.js";
/** @public The shape of the JSON report, for embedders that read it. */
export type { ReportJson } from "./json-report.js";
/** @public The error class and its code and kind tables, for embedders. */
export { REPORT_ERROR_CODES, REPORT_ERROR_KINDS, ReportError } from "./errors.js";
/** @public The codes `ReportError` carries. */
export type { ReportErrorCode } from "./errors.js";
