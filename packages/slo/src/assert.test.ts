import { describe, expect, it } from "vitest";
import type { ExperimentResult, Insights } from "@iter8/spec";
import { checkAssertConditions, parseAssertCondition } from "./assert.js";
import type { AssertCondition } from "./assert.js";
import { SloError } from "./errors.js";

describe("parseAssertCondition", () => {
  it.each<[string, AssertCondition]>([
    ["completed", { kind: "completed", text: "completed" }],
    ["nofailure", { kind: "nofailure", text: "nofailure" }],
    ["slos", { kind: "slos", text: "slos" }],
    [" SLOs ", { kind: "slos", text: "slos" }],
    ["slosby=1", { kind: "slosby", version: 1, text: "slosby=1" }],
    ["SLOsBy = 02", { kind: "slosby", version: 2, text: "slosby=2" }],
  ])("parses %j", (text, expected) => {
    expect(parseAssertCondition(text)).toEqual(expected);
  });

  it.each([
    [
      "complete",
      /unknown assert condition "complete"; valid conditions: completed, nofailure, slos, slosby=<version>/,
    ],
    ["", /unknown assert condition ""/],
    ["slosby", /unknown assert condition/],
    ["slosby=", /the version must be an index 0, 1, 2/],
    ["slosby=-1", /the version must be an index/],
    ["slosby=1.5", /the version must be an index/],
    ["slosby=one", /the version must be an index/],
  ])("rejects %j as invalid input", (text, message) => {
    const thrown = catchError(() => parseAssertCondition(text));
    expect(thrown).toBeInstanceOf(SloError);
    expect(thrown).toMatchObject({ code: "ITER8_ASSERT_INVALID" });
    expect((thrown as SloError).message).toMatch(message);
  });
});

const PASSING: Insights = {
  numVersions: 2,
  metricsInfo: {},
  metricValues: [
    { "built-in/error-rate": [0], "built-in/p95.0": [15.6] },
    { "built-in/error-rate": [0], "built-in/p95.0": [120.5] },
  ],
  SLOs: [
    { metric: "built-in/error-rate", upperLimit: 0 },
    { metric: "built-in/p95.0", upperLimit: 100 },
  ],
  SLOsSatisfied: [
    [true, true],
    [true, false],
  ],
  SLOsSatisfiedBy: [true, false],
};

function result(overrides: Partial<ExperimentResult> = {}): ExperimentResult {
  return {
    startTime: "2021-12-01T00:00:00Z",
    numCompletedTasks: 2,
    failure: false,
    numTasks: 2,
    insights: PASSING,
    ...overrides,
  };
}

function check(text: string, r: ExperimentResult, numTasks?: number) {
  const [outcome] = checkAssertConditions([parseAssertCondition(text)], r, numTasks);
  return outcome;
}

describe("checkAssertConditions", () => {
  it.each<[string, string, ExperimentResult, number | undefined, boolean, string]>([
    ["all tasks done", "completed", result(), undefined, true, "completed: 2 of 2 tasks done"],
    [
      "a task left",
      "completed",
      result({ numCompletedTasks: 1 }),
      undefined,
      false,
      "completed: 1 of 2 tasks done",
    ],
    ["numTasks argument wins", "completed", result(), 3, false, "completed: 2 of 3 tasks done"],
    [
      "interrupted",
      "completed",
      result({ aborted: true }),
      undefined,
      false,
      "completed: interrupted after 2 of 2 tasks",
    ],
    [
      "unknown total",
      "completed",
      result({ numTasks: undefined }),
      undefined,
      false,
      "completed: 2 tasks done; the total number of tasks is unknown",
    ],
    ["no failure", "nofailure", result(), undefined, true, "nofailure: no task failed"],
    [
      "failure without details",
      "nofailure",
      result({ failure: true }),
      undefined,
      false,
      "nofailure: a task failed",
    ],
    [
      "failure with the failed task",
      "nofailure",
      result({
        failure: true,
        failedTask: {
          index: 0,
          task: "gen-load-and-collect-metrics",
          message: "connect\nECONNREFUSED",
        },
      }),
      undefined,
      false,
      "nofailure: task 1 (gen-load-and-collect-metrics) failed: connect ECONNREFUSED",
    ],
    [
      "one version failing",
      "slos",
      result(),
      undefined,
      false,
      "slos: version 1 fails built-in/p95.0 <= 100 (value 120.5)",
    ],
    [
      "every version passing",
      "slos",
      result({ insights: { ...PASSING, SLOsSatisfiedBy: [true, true] } }),
      undefined,
      true,
      "slos: 2 versions satisfy all 2 SLOs",
    ],
    [
      "the only version passing",
      "slos",
      result({
        insights: {
          ...PASSING,
          numVersions: 1,
          metricValues: [PASSING.metricValues[0] ?? {}],
          SLOsSatisfied: [[true], [true]],
          SLOsSatisfiedBy: [true],
        },
      }),
      undefined,
      true,
      "slos: 1 version satisfies all 2 SLOs",
    ],
    [
      "no data",
      "slos",
      result({ insights: { ...PASSING, metricValues: [PASSING.metricValues[0] ?? {}, {}] } }),
      undefined,
      false,
      "slos: version 1 fails built-in/error-rate <= 0: no data for built-in/error-rate; version 1 fails built-in/p95.0 <= 100: no data for built-in/p95.0",
    ],
    [
      "stored failure the metrics do not explain",
      "slos",
      result({
        insights: {
          ...PASSING,
          SLOsSatisfiedBy: [false, true],
          metricValues: [{ "built-in/error-rate": [0], "built-in/p95.0": [1] }, {}],
        },
      }),
      undefined,
      false,
      "slos: version 0 does not satisfy all SLOs",
    ],
    [
      "no assessment",
      "slos",
      result({ insights: { numVersions: 1, metricsInfo: {}, metricValues: [{}] } }),
      undefined,
      false,
      "slos: no SLOs were assessed",
    ],
    [
      "no insights",
      "slos",
      result({ insights: undefined }),
      undefined,
      false,
      "slos: no SLOs were assessed",
    ],
    [
      "no versions",
      "slos",
      result({
        insights: {
          numVersions: 0,
          metricsInfo: {},
          metricValues: [],
          SLOs: [],
          SLOsSatisfied: [],
          SLOsSatisfiedBy: [],
        },
      }),
      undefined,
      false,
      "slos: no versions were assessed",
    ],
    [
      "version 0 passing",
      "slosby=0",
      result(),
      undefined,
      true,
      "slosby=0: version 0 satisfies all SLOs",
    ],
    [
      "version 1 failing",
      "slosby=1",
      result(),
      undefined,
      false,
      "slosby=1: version 1 fails built-in/p95.0 <= 100 (value 120.5)",
    ],
    [
      "before any version was measured",
      "slosby=1",
      result({ insights: undefined }),
      undefined,
      false,
      "slosby=1: no versions were assessed yet",
    ],
    [
      "versions measured, SLOs not yet assessed",
      "slosby=1",
      result({ insights: { numVersions: 2, metricsInfo: {}, metricValues: [{}, {}] } }),
      undefined,
      false,
      "slosby=1: no SLOs were assessed",
    ],
  ])("%s: %s", (_name, text, r, numTasks, satisfied, message) => {
    expect(check(text, r, numTasks)).toEqual({
      condition: parseAssertCondition(text).text,
      satisfied,
      message,
    });
  });

  it("returns one outcome per condition, in order", () => {
    const conditions = ["completed", "nofailure", "slos", "slosby=0"].map((c) =>
      parseAssertCondition(c),
    );
    const outcomes = checkAssertConditions(conditions, result());
    expect(outcomes.map((o) => [o.condition, o.satisfied])).toEqual([
      ["completed", true],
      ["nofailure", true],
      ["slos", false],
      ["slosby=0", true],
    ]);
  });

  it.each([
    [2, 2, "the result has 2 versions, so the version must be in 0..1"],
    [5, 2, "the result has 2 versions, so the version must be in 0..1"],
    [1, 1, "the result has 1 version, so the version must be in 0..0"],
  ])(
    "slosby=%i with %i versions is an input error naming the valid range",
    (version, numVersions, message) => {
      const insights: Insights = {
        numVersions,
        metricsInfo: {},
        metricValues: Array.from({ length: numVersions }, () => ({})),
        SLOs: [],
        SLOsSatisfied: [],
        SLOsSatisfiedBy: Array<boolean>(numVersions).fill(true),
      };
      const thrown = catchError(() =>
        checkAssertConditions([parseAssertCondition(`slosby=${version}`)], result({ insights })),
      );
      expect(thrown).toBeInstanceOf(SloError);
      expect(thrown).toMatchObject({ code: "ITER8_ASSERT_INVALID" });
      expect((thrown as SloError).message).toContain(message);
    },
  );
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
