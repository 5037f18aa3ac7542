import { describe, expect, it } from "vitest";
import type { Insights } from "@iter8/spec";
import { assessAppVersions } from "./assess.js";

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe("assessAppVersions", () => {
  const insights = deepFreeze<Insights>({
    numVersions: 2,
    metricsInfo: {
      "built-in/p95.0": { description: "95th percentile", units: "msec", type: "Gauge" },
    },
    metricValues: [{ "built-in/p95.0": [15.6], "built-in/error-rate": [0] }, {}],
  });

  it("returns new insights with SLOs (names normalised), SLOsSatisfied and SLOsSatisfiedBy", () => {
    const inputs = deepFreeze({
      SLOs: [
        { metric: "built-in/error-rate", upperLimit: 0 },
        { metric: "built-in/p95", upperLimit: 100 },
      ],
    });
    const assessed = assessAppVersions(inputs, insights);
    expect(assessed).toEqual({
      ...insights,
      SLOs: [
        { metric: "built-in/error-rate", upperLimit: 0 },
        { metric: "built-in/p95.0", upperLimit: 100 },
      ],
      SLOsSatisfied: [
        [true, false],
        [true, false],
      ],
      SLOsSatisfiedBy: [true, false],
    });
    expect(insights).not.toHaveProperty("SLOs");
    expect(inputs.SLOs[1]?.metric).toBe("built-in/p95");
  });

  it.each<[string, Insights | undefined, number]>([
    ["missing insights", undefined, 0],
    ["empty insights", { numVersions: 0, metricsInfo: {}, metricValues: [] }, 0],
    [
      "insights with versions but no metrics",
      { numVersions: 3, metricsInfo: {}, metricValues: [] },
      3,
    ],
  ])("with %s sizes the arrays by numVersions", (_name, given, numVersions) => {
    const assessed = assessAppVersions({ SLOs: [{ metric: "m", upperLimit: 1 }] }, given);
    expect(assessed.numVersions).toBe(numVersions);
    expect(assessed.SLOsSatisfied).toEqual([Array<boolean>(numVersions).fill(false)]);
    expect(assessed.SLOsSatisfiedBy).toEqual(Array<boolean>(numVersions).fill(false));
  });

  it("replaces the SLO fields of an earlier assessment", () => {
    const first = assessAppVersions(
      { SLOs: [{ metric: "built-in/error-rate", upperLimit: 0 }] },
      insights,
    );
    const second = assessAppVersions({ SLOs: [] }, first);
    expect(second.SLOs).toEqual([]);
    expect(second.SLOsSatisfied).toEqual([]);
    expect(second.SLOsSatisfiedBy).toEqual([true, true]);
  });
});
