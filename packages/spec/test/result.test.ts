import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatResult, loadResult, parseResult, saveResult, SpecError } from "../src/index.js";
import type { ExperimentResult } from "../src/index.js";

const full: ExperimentResult = {
  startTime: "2024-05-01T10:00:00.000Z",
  numCompletedTasks: 2,
  failure: false,
  numTasks: 2,
  insights: {
    numVersions: 2,
    metricsInfo: {
      "built-in/p95.0": {
        description: "95-th percentile of observed latency values",
        units: "msec",
        type: "Gauge",
      },
      "built-in/error-rate": {
        description: "fraction of responses that were errors",
        type: "Gauge",
      },
      "built-in/request-count": { description: "number of requests sent", type: "Counter" },
    },
    metricValues: [
      { "built-in/p95.0": [12.5], "built-in/request-count": [100], "built-in/error-rate": [0] },
      { "built-in/error-rate": [Number.NaN], "built-in/request-count": [0], "built-in/p95.0": [0] },
    ],
    SLOs: [{ metric: "built-in/error-rate", upperLimit: 0 }],
    SLOsSatisfied: [[true, false]],
    SLOsSatisfiedBy: [true, false],
    loadDetails: [
      {
        statusCodes: { "503": 2, "200": 98 },
        errorClasses: { timeout: 1, refused: 0 },
        histogram: [
          [0, 1, 50],
          [1, 2, 50],
        ],
        dispatchLagMs: { p50: 0.1, p99: 1.2, max: 3 },
      },
      null,
    ],
  },
  skippedTasks: [],
  runOutputs: [{ index: 1, exitCode: 0, stdout: "ok\n", stderr: "" }],
};

describe("result.yaml", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-result-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips through saveResult and loadResult, NaN included", async () => {
    const file = join(dir, "result.yaml");
    await saveResult(file, full);
    const loaded = await loadResult(file);
    expect(loaded).toEqual(full);
    expect(await readdir(dir)).toEqual(["result.yaml"]);
  });

  it("writes Iter8 v0.8's keys first, in order, then the additive ones", () => {
    const text = formatResult({
      ...full,
      aborted: true,
      failedTask: { message: "m", task: "run", index: 1 },
    });
    const doc = load(text) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual([
      "startTime",
      "numCompletedTasks",
      "failure",
      "insights",
      "numTasks",
      "failedTask",
      "aborted",
      "skippedTasks",
      "runOutputs",
    ]);
    expect(Object.keys(doc.insights ?? {})).toEqual([
      "numVersions",
      "metricsInfo",
      "metricValues",
      "SLOs",
      "SLOsSatisfied",
      "SLOsSatisfiedBy",
      "loadDetails",
    ]);
    expect(Object.keys(doc.failedTask ?? {})).toEqual(["index", "task", "message"]);
  });

  it("orders metric names and status codes the same way whatever order they came in", () => {
    const text = formatResult(full);
    expect(text.indexOf("built-in/request-count:")).toBeLessThan(
      text.indexOf("built-in/error-rate:"),
    );
    expect(text.indexOf("built-in/error-rate:")).toBeLessThan(text.indexOf("built-in/p95.0:"));
    expect(text.indexOf("'200'")).toBeLessThan(text.indexOf("'503'"));
    const shuffled: ExperimentResult = {
      runOutputs: full.runOutputs,
      skippedTasks: full.skippedTasks,
      insights: full.insights,
      numTasks: 2,
      failure: false,
      numCompletedTasks: 2,
      startTime: full.startTime,
    };
    expect(formatResult(shuffled)).toBe(text);
  });

  it("writes the minimal result of a run that has not loaded anything yet", () => {
    expect(
      formatResult({ startTime: "2024-05-01T10:00:00Z", numCompletedTasks: 0, failure: false }),
    ).toBe("startTime: '2024-05-01T10:00:00Z'\nnumCompletedTasks: 0\nfailure: false\n");
  });

  it("reads an Iter8 v0.8 result.yaml (unquoted time, no additive fields)", () => {
    const result = parseResult(
      [
        "startTime: 2022-01-21T10:36:05.170596-05:00",
        "numCompletedTasks: 2",
        "failure: false",
        "insights:",
        "  numVersions: 1",
        "  metricsInfo:",
        "    built-in/error-count:",
        "      description: number of responses that were errors",
        "      type: Counter",
        "  metricValues:",
        "  - built-in/error-count:",
        "    - 0",
        "  SLOs:",
        "  - metric: built-in/error-count",
        "    upperLimit: 0",
        "  SLOsSatisfied:",
        "  - - true",
        "  SLOsSatisfiedBy:",
        "  - true",
        "iter8Version: v0.8",
      ].join("\n"),
    );
    expect(result).toMatchObject({
      ok: true,
      value: {
        startTime: "2022-01-21T10:36:05.170596-05:00",
        insights: { SLOsSatisfiedBy: [true], metricValues: [{ "built-in/error-count": [0] }] },
      },
    });
  });

  it("reports bad content with path and line", () => {
    const result = parseResult("startTime: now\nnumCompletedTasks: two\nfailure: false\n", {
      filename: "result.yaml",
    });
    expect(result).toEqual({
      ok: false,
      warnings: [],
      issues: [
        {
          path: "numCompletedTasks",
          message: 'expected a number, got the text "two"',
          line: 2,
          column: 1,
          file: "result.yaml",
        },
      ],
    });
  });

  it("throws ITER8_RESULT_INVALID for bad content and ITER8_FILE_ACCESS for a missing file", async () => {
    const bad = join(dir, "result.yaml");
    await writeFile(bad, "- not a result\n");
    await expect(loadResult(bad)).rejects.toMatchObject({
      code: "ITER8_RESULT_INVALID",
      message: `${bad}: a result is a mapping with startTime, numCompletedTasks, failure and insights`,
    });
    const missing = join(dir, "nope", "result.yaml");
    const error = await loadResult(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect(error).toMatchObject({
      code: "ITER8_FILE_ACCESS",
      message: `no result: ${missing} does not exist`,
    });
  });

  it("leaves the previous result intact when saving fails", async () => {
    const file = join(dir, "result.yaml");
    await saveResult(file, full);
    const before = await readFile(file, "utf8");
    const circular = { ...full, insights: { ...full.insights } } as ExperimentResult & {
      insights: { self?: unknown };
    };
    circular.insights.self = circular;
    await expect(saveResult(file, circular)).rejects.toMatchObject({
      code: "ITER8_RESULT_INVALID",
      message: "cannot write a result that contains itself",
    });
    expect(await readFile(file, "utf8")).toBe(before);
    expect(await readdir(dir)).toEqual(["result.yaml"]);
  });
});
