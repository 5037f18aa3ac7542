import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Experiment, ExperimentResult, Task } from "@iter8/spec";
import { renderReport } from "../src/render-report.js";
import { renderTextReport } from "../src/text-report.js";

function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), "utf8");
}

/** The golden file's text; `ITER8_UPDATE_GOLDEN=1` rewrites it from `actual` first. */
function golden(name: string, actual: string): string {
  if (process.env.ITER8_UPDATE_GOLDEN === "1") {
    writeFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), actual);
  }
  return fixture(name);
}

function resultFixture(name: string): ExperimentResult {
  return JSON.parse(fixture(name)) as ExperimentResult;
}

const LOAD: Task = {
  task: "gen-load-and-collect-metrics",
  with: {
    numRequests: 100,
    qps: 8,
    connections: 4,
    errorRanges: [{ lower: 400 }],
    percentiles: [50, 75, 90, 95, 99, 99.9],
    versionInfo: [{ url: "http://127.0.0.1:8080" }],
  },
};
const ASSESS: Task = {
  task: "assess-app-versions",
  with: {
    SLOs: [
      { metric: "built-in/error-rate", upperLimit: 0 },
      { metric: "built-in/p95", upperLimit: 100 },
    ],
  },
};

function experimentOf(...tasks: Task[]): Experiment {
  return { tasks, format: "v0.8" };
}

describe("the seed text report", () => {
  // seed-report.txt is the sample in Iter8's README, byte for byte, without the markdown's indent.
  const expected = fixture("seed-report.txt");

  it("reproduces Iter8's sample from its values, with the task count from the experiment", () => {
    const result = resultFixture("seed-result.json");
    expect(renderTextReport(result, { experiment: experimentOf(LOAD, ASSESS) })).toBe(expected);
  });

  it("reproduces Iter8's sample with the task count recorded in the result", () => {
    const result = { ...resultFixture("seed-result.json"), numTasks: 2 };
    expect(renderTextReport(result)).toBe(expected);
  });

  it("is what renderReport returns for the text format", () => {
    const result = resultFixture("seed-result.json");
    expect(renderReport(experimentOf(LOAD, ASSESS), result, { format: "text" })).toBe(expected);
  });
});

describe("text reports of other results", () => {
  it.each<[string, string, Experiment | undefined, string]>([
    [
      "two versions, one failing its SLOs",
      "two-versions-result.json",
      undefined,
      "two-versions-report.txt",
    ],
    [
      "three versions, one skipped, limits of every kind, custom units",
      "three-versions-result.json",
      experimentOf(LOAD, LOAD, ASSESS),
      "three-versions-report.txt",
    ],
    [
      "a failed experiment without metrics",
      "failed-result.json",
      experimentOf(LOAD, ASSESS),
      "failed-report.txt",
    ],
    [
      "metrics described but not measured, an SLO without data, odd characters in names",
      "missing-metrics-result.json",
      undefined,
      "missing-metrics-report.txt",
    ],
    ["one version without SLOs", "no-slos-result.json", undefined, "no-slos-report.txt"],
  ])("lays out %s", (_name, resultFile, experiment, reportFile) => {
    const text = renderReport(experiment, resultFixture(resultFile), { format: "text" });
    expect(text).toBe(golden(reportFile, text));
  });
});

describe("Markdown reports", () => {
  it.each<[string, string, Experiment | undefined, string]>([
    [
      "one version (the seed's result)",
      "seed-result.json",
      experimentOf(LOAD, ASSESS),
      "seed-report.md",
    ],
    [
      "three versions, one skipped",
      "three-versions-result.json",
      experimentOf(LOAD, LOAD, ASSESS),
      "three-versions-report.md",
    ],
    [
      "missing metrics and an SLO without data",
      "missing-metrics-result.json",
      undefined,
      "missing-metrics-report.md",
    ],
    ["a failed experiment", "failed-result.json", experimentOf(LOAD, ASSESS), "failed-report.md"],
    ["one version without SLOs", "no-slos-result.json", undefined, "no-slos-report.md"],
  ])("lays out %s", (_name, resultFile, experiment, reportFile) => {
    const markdown = renderReport(experiment, resultFixture(resultFile), { format: "markdown" });
    expect(markdown).toBe(golden(reportFile, markdown));
  });
});
