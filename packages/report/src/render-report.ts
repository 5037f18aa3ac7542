import type { Experiment, ExperimentResult } from "@iter8/spec";
import { REPORT_ERROR_CODES, ReportError } from "./errors.js";
import { renderHtmlReport } from "./html-report.js";
import { renderJsonReport } from "./json-report.js";
import { renderMarkdownReport } from "./markdown-report.js";
import { buildReportModel } from "./report-model.js";
import { renderTextReport } from "./text-report.js";

/** Report formats: the seed's text layout, GitHub-flavoured Markdown, versioned JSON, self-contained HTML. */
export type ReportFormat = "text" | "markdown" | "json" | "html";

/** The formats {@link renderReport} renders. */
export const AVAILABLE_REPORT_FORMATS: readonly ReportFormat[] = [
  "text",
  "markdown",
  "json",
  "html",
];

/** Options of {@link renderReport}. */
export interface RenderReportOptions {
  format: ReportFormat;
  /** HTML only: scale of the histograms' count axis (default `linear`). */
  histogramScale?: "linear" | "log";
}

/**
 * Renders a report of an experiment's result in the chosen format (pure; nothing is written).
 * Every format ends with a newline. Throws {@link ReportError} `ITER8_REPORT_FORMAT` for an
 * unknown format.
 */
export function renderReport(
  experiment: Experiment | undefined,
  result: ExperimentResult,
  options: RenderReportOptions,
): string {
  const format: string = options.format;
  switch (format) {
    case "text":
      return renderTextReport(result, experiment ? { experiment } : {});
    case "markdown":
      return renderMarkdownReport(buildReportModel(result, experiment));
    case "json":
      return renderJsonReport(buildReportModel(result, experiment));
    case "html":
      return renderHtmlReport(
        buildReportModel(result, experiment),
        options.histogramScale ? { histogramScale: options.histogramScale } : {},
      );
    default:
      throw new ReportError(
        REPORT_ERROR_CODES.format,
        `unknown report format "${format}"`,
        `available formats: ${AVAILABLE_REPORT_FORMATS.join(", ")}`,
      );
  }
}
