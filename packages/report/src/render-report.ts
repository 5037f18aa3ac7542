import type { Experiment, ExperimentResult } from "@iter8/spec";
import { REPORT_ERROR_CODES, ReportError } from "./errors.js";
import { renderTextReport } from "./text-report.js";

/** Report formats iter8 plans; only those in {@link AVAILABLE_REPORT_FORMATS} render today. */
export type ReportFormat = "text" | "markdown" | "json" | "html";

/** The formats {@link renderReport} can render now. */
export const AVAILABLE_REPORT_FORMATS: readonly ReportFormat[] = ["text"];

/** Options of {@link renderReport}. */
export interface RenderReportOptions {
  format: ReportFormat;
}

/**
 * Renders a report of an experiment's result in the chosen format (pure; nothing is written).
 * Throws {@link ReportError} `ITER8_REPORT_FORMAT` for a format that is unknown or not built yet.
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
    case "json":
    case "html":
      throw new ReportError(
        REPORT_ERROR_CODES.format,
        `the ${format} report is not available yet`,
        `available formats: ${AVAILABLE_REPORT_FORMATS.join(", ")}`,
      );
    default:
      throw new ReportError(
        REPORT_ERROR_CODES.format,
        `unknown report format "${format}"`,
        `available formats: ${AVAILABLE_REPORT_FORMATS.join(", ")}`,
      );
  }
}
