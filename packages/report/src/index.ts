export { renderReport, AVAILABLE_REPORT_FORMATS } from "./render-report.js";
export type { RenderReportOptions, ReportFormat } from "./render-report.js";
export { renderTextReport } from "./text-report.js";
export type { TextReportOptions } from "./text-report.js";
export { formatMetricValue, UNAVAILABLE } from "./format-value.js";
export { REPORT_ERROR_CODES, ReportError } from "./errors.js";
export type { ReportErrorCode } from "./errors.js";
