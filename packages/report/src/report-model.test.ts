import { describe, expect, it } from "vitest";
import type { ExperimentResult, Insights, SLO } from "@iter8/spec";
import { buildReportModel } from "./report-model.js";
import { renderReport } from "./render-report.js";

function resultWith(insights: Insights): ExperimentResult {
  return { startTime: "2021-12-01T10:00:00.000Z", numCompletedTasks: 1, failure: false, insights };
}

describe("buildReportModel", () => {
  it("carries the backend's reason for a missing value into the Markdown, JSON and HTML reports", () => {
    const reason = "HTTP 500 Internal Server Error: <html>down</html>";
    const result = resultWith({
      numVersions: 1,
      metricsInfo: {},
      metricValues: [{}],
      SLOs: [{ metric: "backend/latency", upperLimit: 5 }],
      SLOsSatisfied: [[false]],
      SLOsSatisfiedBy: [false],
      metricProblems: [{ "backend/latency": { status: "error", reason } }],
    });
    expect(buildReportModel(result, undefined).slos[0]?.checks[0]).toMatchObject({
      status: "no-data",
      detail: reason,
    });
    expect(renderReport(undefined, result, { format: "markdown" })).toContain(
      "no data: HTTP 500 Internal Server Error: &lt;html&gt;down&lt;/html&gt;",
    );
    const json = JSON.parse(renderReport(undefined, result, { format: "json" })) as {
      slos: Array<{ checks: Array<{ detail?: string }> }>;
    };
    expect(json.slos[0]?.checks[0]?.detail).toBe(reason);
    expect(renderReport(undefined, result, { format: "html" })).toContain(
      "(HTTP 500 Internal Server Error: &lt;html&gt;down&lt;/html&gt;)",
    );
  });

  it.each<[string, Array<boolean | undefined>, Array<Record<string, number[]>>, string[]]>([
    ["recorded pass", [true], [{ m: [1] }], ["pass", "ok"]],
    ["recorded fail above the upper limit", [false], [{ m: [9] }], ["fail", "above-upper"]],
    ["recorded fail without a value", [false], [{}], ["no-data", "no-data"]],
    ["not assessed", [undefined], [{ m: [1] }], ["no-data", "not-assessed"]],
    ["recorded fail though the value passes now", [false], [{ m: [1] }], ["fail", "above-upper"]],
  ])(
    "maps an SLO check %s to its status and reason",
    (_name, satisfied, metricValues, expected) => {
      const slo: SLO = { metric: "m", upperLimit: 5 };
      const model = buildReportModel(
        resultWith({
          numVersions: 1,
          metricsInfo: {},
          metricValues,
          SLOs: [slo],
          SLOsSatisfied: [satisfied.map((s) => s as boolean)].map((row) =>
            row.filter((s) => s !== undefined),
          ),
        }),
        undefined,
      );
      const check = model.slos[0]?.checks[0];
      expect([check?.status, check?.reason]).toEqual(expected);
    },
  );

  it.each<[string, Record<string, number[]>[], SLO[], "lower" | "higher" | undefined, number[]]>([
    [
      "latency: lower is better",
      [{ "built-in/p99.0": [5] }, { "built-in/p99.0": [3] }],
      [],
      "lower",
      [1],
    ],
    [
      "errors: ties are all best",
      [
        { "built-in/error-count": [0] },
        { "built-in/error-count": [2] },
        { "built-in/error-count": [0] },
      ],
      [],
      "lower",
      [0, 2],
    ],
    [
      "request count: no direction",
      [{ "built-in/request-count": [5] }, { "built-in/request-count": [3] }],
      [],
      undefined,
      [],
    ],
    [
      "an SLO's lower limit says higher",
      [{ x: [5] }, { x: [3] }],
      [{ metric: "x", lowerLimit: 1 }],
      "higher",
      [0],
    ],
    [
      "all equal: nothing marked",
      [{ "built-in/p50.0": [4] }, { "built-in/p50.0": [4] }],
      [],
      "lower",
      [],
    ],
    ["one value only: nothing marked", [{ "built-in/p50.0": [4] }, {}], [], "lower", []],
  ])("marks the best value: %s", (_name, metricValues, slos, better, best) => {
    const model = buildReportModel(
      resultWith({ numVersions: metricValues.length, metricsInfo: {}, metricValues, SLOs: slos }),
      undefined,
    );
    const row = model.metrics[0];
    expect([row?.better, row?.best]).toEqual([better, best]);
  });

  it("uses units per second to say higher is better", () => {
    const model = buildReportModel(
      resultWith({
        numVersions: 2,
        metricsInfo: { t: { description: "throughput", units: "req/s", type: "Gauge" } },
        metricValues: [{ t: [5] }, { t: [7] }],
      }),
      undefined,
    );
    expect(model.metrics[0]).toMatchObject({
      better: "higher",
      best: [1],
      description: "throughput",
    });
  });

  it("gives a version without load details no load, and normalises SLO metric names for units", () => {
    const model = buildReportModel(
      resultWith({
        numVersions: 2,
        metricsInfo: { "built-in/p95.0": { description: "p95", units: "msec", type: "Gauge" } },
        metricValues: [{}, {}],
        SLOs: [{ metric: "built-in/p95", upperLimit: 10 }],
        loadDetails: [
          null,
          { statusCodes: { "200": 2 }, errorClasses: {}, histogram: [[1, 2, 2]] },
        ],
      }),
      undefined,
    );
    expect(model.loads[0]).toBeUndefined();
    expect(model.loads[1]?.histogram).toEqual([[1, 2, 2]]);
    expect(model.slos[0]).toMatchObject({ metric: "built-in/p95.0", units: "msec" });
  });
});
