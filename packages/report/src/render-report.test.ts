import { describe, expect, it } from "vitest";
import type { ExperimentResult } from "@iter8/spec";
import { ReportError } from "./errors.js";
import { AVAILABLE_REPORT_FORMATS, renderReport } from "./render-report.js";
import type { ReportFormat } from "./render-report.js";

const RESULT: ExperimentResult = {
  startTime: "2021-12-01T10:00:00.000Z",
  numCompletedTasks: 0,
  failure: false,
};

describe("renderReport", () => {
  it("throws ITER8_REPORT_FORMAT for an unknown format", () => {
    let thrown: unknown;
    try {
      renderReport(undefined, RESULT, { format: "pdf" as ReportFormat });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ReportError);
    expect(thrown).toMatchObject({
      code: "ITER8_REPORT_FORMAT",
      message: 'unknown report format "pdf"',
      hint: "available formats: text, markdown, json, html",
    });
  });

  it.each<[ReportFormat, string]>([
    ["text", "Experiment summary|"],
    ["markdown", "# Iter8 experiment report"],
    ["json", '"reportVersion": 1'],
    ["html", "<!doctype html>"],
  ])("renders %s without an experiment, ending with a newline", (format, expected) => {
    const report = renderReport(undefined, RESULT, { format });
    expect(report).toContain(expected);
    expect(report.endsWith("\n")).toBe(true);
  });

  it("offers every format", () => {
    expect(AVAILABLE_REPORT_FORMATS).toEqual(["text", "markdown", "json", "html"]);
  });
});
