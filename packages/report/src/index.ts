export { renderReport, AVAILABLE_REPORT_FORMATS } from "./render-report.js";
export type { RenderReportOptions, ReportFormat } from "./render-report.js";
export { renderTextReport } from "./text-report.js";
export type { TextReportOptions } from "./text-report.js";
export { buildReportModel } from "./report-model.js";
export type {
  MetricDirection,
  ReportMetricRow,
  ReportModel,
  ReportSloCheck,
  ReportSloReason,
  ReportSloRow,
  ReportSummary,
  ReportVersionLoad,
  SloStatus,
} from "./report-model.js";
export { renderMarkdownReport, escapeMarkdown } from "./markdown-report.js";
export {
  renderJsonReport,
  REPORT_VERSION,
  reportJsonSchema,
  reportJsonSchemaDocument,
  toReportJson,
} from "./json-report.js";
export type { ReportJson } from "./json-report.js";
export { renderHtmlReport } from "./html-report.js";
export type { HtmlReportOptions } from "./html-report.js";
export { CURVE_PERCENTILES, percentileCurve } from "./percentile-curve.js";
export type { PercentilePoint } from "./percentile-curve.js";
export { escapeXml } from "./svg-charts.js";
export { formatMetricValue, UNAVAILABLE } from "./format-value.js";
export { REPORT_ERROR_CODES, REPORT_ERROR_KINDS, ReportError } from "./errors.js";
export type { ReportErrorCode } from "./errors.js";
export { comparisonTableRows, renderComparisonText } from "./comparison-table.js";
export type { ComparisonTableRow } from "./comparison-table.js";
