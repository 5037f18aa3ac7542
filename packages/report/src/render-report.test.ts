import { describe, expect, it } from "vitest";
import type { ExperimentResult } from "@iter8/spec";
import { ReportError } from "./errors.js";
import { renderReport } from "./render-report.js";
import type { ReportFormat } from "./render-report.js";

const RESULT: ExperimentResult = {
  startTime: "2021-12-01T10:00:00.000Z",
  numCompletedTasks: 0,
  failure: false,
};

describe("renderReport", () => {
  it.each<[string, string]>([
    ["markdown", "the markdown report is not available yet"],
    ["json", "the json report is not available yet"],
    ["html", "the html report is not available yet"],
    ["pdf", 'unknown report format "pdf"'],
  ])("throws ITER8_REPORT_FORMAT for %s", (format, message) => {
    let thrown: unknown;
    try {
      renderReport(undefined, RESULT, { format: format as ReportFormat });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ReportError);
    expect(thrown).toMatchObject({
      code: "ITER8_REPORT_FORMAT",
      message,
      hint: "available formats: text",
    });
  });

  it("renders text without an experiment", () => {
    expect(renderReport(undefined, RESULT, { format: "text" })).toContain("Experiment summary|");
  });
});
