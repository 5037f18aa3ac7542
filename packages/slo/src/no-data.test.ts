import { describe, expect, it } from "vitest";
import type { Insights } from "@iter8/spec";
import { assessAppVersions } from "./assess.js";
import { checkSlo } from "./evaluate-slos.js";

const insights: Insights = {
  numVersions: 2,
  metricsInfo: {},
  metricValues: [{ "prom/error-rate": [0] }, {}],
  metricProblems: [
    {},
    { "prom/error-rate": { status: "error", reason: "HTTP 500 Internal Server Error: <html>" } },
  ],
};

describe("SLOs on metrics without a value", () => {
  it("fail with the reason recorded by the metrics task", () => {
    const check = checkSlo({ metric: "prom/error-rate", upperLimit: 0 }, 1, insights);
    expect(check.satisfied).toBe(false);
    expect(check.reason).toBe("no-data");
    expect(check.message).toBe(
      "version 1 fails prom/error-rate <= 0: no data for prom/error-rate (HTTP 500 Internal Server Error: <html>)",
    );
  });

  it("count as satisfied, marked skipped, with onNoData: skip", () => {
    const check = checkSlo(
      { metric: "prom/error-rate", upperLimit: 0, onNoData: "skip" },
      1,
      insights,
    );
    expect(check).toMatchObject({ satisfied: true, skipped: true, reason: "no-data" });
    expect(check.message).toMatch(/^version 1 skips prom\/error-rate <= 0: no data/);
  });

  it("skip only the version without data; others are still checked", () => {
    const out = assessAppVersions(
      { SLOs: [{ metric: "prom/error-rate", upperLimit: 0, onNoData: "skip" }] },
      insights,
    );
    expect(out.SLOsSatisfied).toEqual([[true, true]]);
    const failing = assessAppVersions(
      { SLOs: [{ metric: "prom/error-rate", upperLimit: -1, onNoData: "skip" }] },
      insights,
    );
    expect(failing.SLOsSatisfied).toEqual([[false, true]]);
  });
});
