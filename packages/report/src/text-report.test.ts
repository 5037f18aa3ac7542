import { describe, expect, it } from "vitest";
import type { Experiment, ExperimentResult, Insights } from "@iter8/spec";
import { renderTextReport } from "./text-report.js";

function resultOf(overrides: Partial<ExperimentResult> = {}): ExperimentResult {
  return {
    startTime: "2021-12-01T10:00:00.000Z",
    numCompletedTasks: 2,
    failure: false,
    ...overrides,
  };
}

function insightsOf(
  metricValues: Array<Record<string, number[]>>,
  extra: Partial<Insights> = {},
): Insights {
  return { numVersions: metricValues.length, metricsInfo: {}, metricValues, ...extra };
}

/** The text after `|` on the row whose label (trimmed) is `label`. */
function valueOf(text: string, label: string): string | undefined {
  const line = text.split("\n").find((l) => l.split("|")[0]?.trim() === label);
  return line?.slice(line.indexOf("|") + 1);
}

function experimentWith(numTasks: number): Experiment {
  const run = { task: "run" as const, with: { script: "true" } };
  return { tasks: Array.from({ length: numTasks }, () => run), format: "v0.8" };
}

describe("renderTextReport", () => {
  it.each<[string, Partial<ExperimentResult>, Experiment | undefined, string]>([
    ["all tasks of the experiment done", { numCompletedTasks: 2 }, experimentWith(2), "true"],
    ["a task of the experiment left", { numCompletedTasks: 1 }, experimentWith(2), "false"],
    [
      "the experiment's count wins over the result's",
      { numCompletedTasks: 2, numTasks: 2 },
      experimentWith(3),
      "false",
    ],
    [
      "all tasks recorded in the result done",
      { numCompletedTasks: 3, numTasks: 3 },
      undefined,
      "true",
    ],
    [
      "all tasks done but interrupted",
      { numCompletedTasks: 2, aborted: true },
      experimentWith(2),
      "false",
    ],
    ["the task count unknown", { numCompletedTasks: 2 }, undefined, "unavailable"],
  ])("says whether the experiment completed: %s", (_name, overrides, experiment, expected) => {
    const text = renderTextReport(resultOf(overrides), experiment ? { experiment } : {});
    expect(valueOf(text, "Experiment completed")).toBe(expected);
  });

  it.each([
    [false, "false"],
    [true, "true"],
  ])("reports failure %s as %s", (failure, expected) => {
    expect(valueOf(renderTextReport(resultOf({ failure })), "Experiment failed")).toBe(expected);
  });

  it("adds an interrupted row only when the run was interrupted", () => {
    expect(valueOf(renderTextReport(resultOf({ aborted: true })), "Experiment interrupted")).toBe(
      "true",
    );
    expect(renderTextReport(resultOf())).not.toContain("interrupted");
  });

  it("puts the failed task's message on one line", () => {
    const text = renderTextReport(
      resultOf({
        failure: true,
        failedTask: { index: 2, task: "run", message: "exit code 1\nstderr: boom" },
      }),
    );
    expect(valueOf(text, "Failed task")).toBe("task 3 (run): exit code 1 stderr: boom");
  });

  it("shows only the summary when there are no insights", () => {
    const text = renderTextReport(resultOf({ insights: insightsOf([]) }));
    expect(text.split("\n")).toHaveLength(10);
    expect(text).not.toContain("SLOs");
    expect(text).not.toContain("Metrics");
  });

  it.each<[string, Insights]>([
    ["no SLOs field", insightsOf([{ "built-in/error-count": [0] }])],
    [
      "an empty SLOs list",
      insightsOf([{ "built-in/error-count": [0] }], {
        SLOs: [],
        SLOsSatisfied: [],
        SLOsSatisfiedBy: [true],
      }),
    ],
  ])(
    "leaves out the SLOs section with %s; three blank lines still follow the summary",
    (_name, insights) => {
      const lines = renderTextReport(resultOf({ insights })).split("\n");
      expect(lines.some((l) => l.endsWith("SLOs|"))).toBe(false);
      expect(lines.slice(9, 14)).toEqual([
        "",
        "",
        "",
        "-----------------------------|-----",
        "                      Metrics|",
      ]);
    },
  );

  it("sorts metrics by name and shows the latest value of each", () => {
    const insights = insightsOf([
      { zeta: [1], "built-in/p99.9": [3], alpha: [5, 7], "built-in/p50.0": [2] },
    ]);
    const text = renderTextReport(resultOf({ insights }));
    const lines = text.split("\n");
    const labels = lines
      .slice(lines.indexOf("                      Metrics|") + 1)
      .filter((l) => l.includes("|") && !l.startsWith("-"))
      .map((l) => l.split("|")[0]?.trim());
    expect(labels).toEqual(["alpha", "built-in/p50.0", "built-in/p99.9", "zeta"]);
    expect(valueOf(text, "alpha")).toBe("7");
  });

  it("shows unavailable for a metric described but not measured, and for an unassessed SLO", () => {
    const insights = insightsOf([{}], {
      metricsInfo: {
        "built-in/mean-latency": { description: "mean", units: "msec", type: "Gauge" },
      },
      SLOs: [{ metric: "built-in/mean-latency", upperLimit: 50 }],
    });
    const text = renderTextReport(resultOf({ insights }));
    expect(valueOf(text, "built-in/mean-latency")).toBe("unavailable");
    expect(valueOf(text, "built-in/mean-latency <= 50")).toBe("unavailable");
  });

  it.each([
    ["msec", "17.02 (msec)"],
    [undefined, "17.02"],
  ])("suffixes values with units %s", (units, expected) => {
    const insights = insightsOf([{ m: [17.0213] }], {
      metricsInfo: { m: { description: "m", type: "Gauge", ...(units ? { units } : {}) } },
    });
    expect(valueOf(renderTextReport(resultOf({ insights })), "m")).toBe(expected);
  });

  it("widens the label column of every section for a label longer than 29", () => {
    const long = "custom/a-rather-long-metric-name-here"; // 37 characters
    const insights = insightsOf([{ [long]: [1] }], {
      SLOs: [{ metric: long, lowerLimit: 1 }],
      SLOsSatisfied: [[true]],
    });
    const lines = renderTextReport(resultOf({ insights }))
      .split("\n")
      .filter((l) => l !== "");
    const width = `1 <= ${long}`.length;
    expect(lines.every((l) => l.indexOf("|") === width)).toBe(true);
    expect(lines).toContain(`${"-".repeat(width)}|-----`);
    expect(lines).toContain(
      `${" ".repeat(width - "Experiment summary".length)}Experiment summary|`,
    );
  });

  it("with several versions lines up every version column and leaves no trailing spaces", () => {
    const insights = insightsOf([{ m: [1] }, { m: [123456.789] }, {}], {
      metricsInfo: { m: { description: "m", units: "msec", type: "Gauge" } },
    });
    const lines = renderTextReport(resultOf({ insights })).split("\n");
    const table = lines.slice(lines.findIndex((l) => l.includes("Metrics|")) - 1);
    expect(table.slice(0, 5)).toEqual([
      "-----------------------------|---------|----------------|-----------",
      "                      Metrics|version 0|version 1       |version 2",
      "-----------------------------|---------|----------------|-----------",
      "                            m|1 (msec) |123456.79 (msec)|unavailable",
      "-----------------------------|---------|----------------|-----------",
    ]);
    expect(lines.every((l) => l === l.trimEnd())).toBe(true);
  });

  it("ends with exactly one newline", () => {
    const text = renderTextReport(resultOf());
    expect(text.endsWith("-----\n")).toBe(true);
  });
});
