import { describe, expect, it } from "vitest";
import type { Insights } from "@iter8/spec";
import { InsightsRecorder } from "./insights-recorder.js";

describe("InsightsRecorder", () => {
  it("widens existing insights and appends a later measurement of the same metric", () => {
    const existing: Insights = {
      numVersions: 1,
      metricsInfo: {},
      metricValues: [{ m: [1] }],
    };
    const recorder = new InsightsRecorder(existing, 2);
    recorder.appendValues(0, "m", [2]);
    recorder.appendValues(1, "m", [3]);
    const insights = recorder.finish();
    expect(insights).toBe(existing);
    expect(insights.numVersions).toBe(2);
    expect(insights.metricValues).toEqual([{ m: [1, 2] }, { m: [3] }]);
    expect(insights.metricProblems).toBeUndefined();
    expect(insights.metricSummaries).toBeUndefined();
  });

  it("keeps problems only while a metric has no value, padded to every version", () => {
    const recorder = new InsightsRecorder(undefined, 3);
    recorder.recordProblem(1, "m", { status: "no-data", reason: "nothing" });
    expect(recorder.finish().metricProblems).toEqual([
      {},
      { m: { status: "no-data", reason: "nothing" } },
      {},
    ]);
    recorder.appendValues(1, "m", [4]);
    expect(recorder.finish().metricProblems).toBeUndefined();
  });

  it("records a provider's measurements: value, problem and summary", () => {
    const recorder = new InsightsRecorder(undefined, 2);
    const info = { description: "d", type: "Gauge" as const };
    recorder.recordMeasurements(1, [
      {
        name: "p/rate",
        info,
        status: "ok",
        value: 0.5,
        summary: { type: "proportion", count: 4, successes: 2 },
      },
      { name: "p/latency", info, status: "no-data", reason: "empty vector" },
    ]);
    const insights = recorder.finish();
    expect(insights.metricValues[1]).toEqual({ "p/rate": [0.5] });
    expect(insights.metricProblems?.[1]).toEqual({
      "p/latency": { status: "no-data", reason: "empty vector" },
    });
    expect(insights.metricSummaries).toEqual([
      {},
      { "p/rate": { type: "proportion", count: 4, successes: 2 } },
    ]);
    expect(Object.keys(insights.metricsInfo).sort()).toEqual(["p/latency", "p/rate"]);
  });
});
