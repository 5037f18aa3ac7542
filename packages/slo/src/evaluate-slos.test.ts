import { describe, expect, it } from "vitest";
import type { Insights, SLO } from "@iter8/spec";
import { checkSlo, evaluateSlos, formatSlo, latestMetricValue } from "./evaluate-slos.js";

function insightsOf(...versions: Array<Record<string, number[]>>): Insights {
  return { numVersions: versions.length, metricsInfo: {}, metricValues: versions };
}

describe("formatSlo", () => {
  it.each<[SLO, string]>([
    [{ metric: "built-in/error-rate", upperLimit: 0 }, "built-in/error-rate <= 0"],
    [{ metric: "built-in/p95", upperLimit: 100 }, "built-in/p95.0 <= 100"],
    [{ metric: "built-in/request-count", lowerLimit: 10 }, "10 <= built-in/request-count"],
    [{ metric: "m", lowerLimit: 0, upperLimit: 2.5 }, "0 <= m <= 2.5"],
    [{ metric: "m", upperLimit: 0.005 }, "m <= 0.005"],
  ])("writes %o as %s", (slo, text) => {
    expect(formatSlo(slo)).toBe(text);
  });
});

describe("latestMetricValue", () => {
  const insights: Insights = {
    numVersions: 3,
    metricsInfo: {},
    metricValues: [{ a: [1, 2, 3], "built-in/p95.0": [7], empty: [], nan: [Number.NaN] }, {}],
  };
  it.each<[number, string, number | undefined]>([
    [0, "a", 3],
    [0, "built-in/p95", 7],
    [0, "built-in/p95.0", 7],
    [0, "empty", undefined],
    [0, "nan", undefined],
    [0, "missing", undefined],
    [0, "toString", undefined],
    [1, "a", undefined],
    [2, "a", undefined],
  ])("version %i metric %s is %s", (version, metric, expected) => {
    expect(latestMetricValue(insights, version, metric)).toBe(expected);
  });

  it("is undefined without insights", () => {
    expect(latestMetricValue(undefined, 0, "a")).toBeUndefined();
  });
});

describe("checkSlo", () => {
  const cases: Array<[string, SLO, Record<string, number[]>, boolean, string, number | undefined]> =
    [
      [
        "value equal to the upper limit passes",
        { metric: "m", upperLimit: 100 },
        { m: [100] },
        true,
        "ok",
        100,
      ],
      [
        "value above the upper limit fails",
        { metric: "m", upperLimit: 100 },
        { m: [100.01] },
        false,
        "above-upper",
        100.01,
      ],
      [
        "value equal to the lower limit passes",
        { metric: "m", lowerLimit: 5 },
        { m: [5] },
        true,
        "ok",
        5,
      ],
      [
        "value below the lower limit fails",
        { metric: "m", lowerLimit: 5 },
        { m: [4.99] },
        false,
        "below-lower",
        4.99,
      ],
      [
        "value inside both limits passes",
        { metric: "m", lowerLimit: 1, upperLimit: 3 },
        { m: [2] },
        true,
        "ok",
        2,
      ],
      [
        "the last of several values is judged",
        { metric: "m", upperLimit: 10 },
        { m: [50, 5] },
        true,
        "ok",
        5,
      ],
      [
        "a missing metric fails with no data",
        { metric: "m", upperLimit: 10 },
        {},
        false,
        "no-data",
        undefined,
      ],
      [
        "an empty list fails with no data",
        { metric: "m", upperLimit: 10 },
        { m: [] },
        false,
        "no-data",
        undefined,
      ],
      [
        "NaN fails with no data",
        { metric: "m", lowerLimit: 0 },
        { m: [Number.NaN] },
        false,
        "no-data",
        undefined,
      ],
      [
        "built-in/p95 reads built-in/p95.0",
        { metric: "built-in/p95", upperLimit: 100 },
        { "built-in/p95.0": [120.5] },
        false,
        "above-upper",
        120.5,
      ],
    ];
  it.each(cases)("%s", (_name, slo, values, satisfied, reason, value) => {
    const check = checkSlo(slo, 0, insightsOf(values));
    expect(check).toMatchObject({ satisfied, reason });
    expect(check.value).toBe(value);
  });

  it.each<[SLO, Record<string, number[]>, string]>([
    [
      { metric: "built-in/p95", upperLimit: 100 },
      { "built-in/p95.0": [120.5] },
      "version 0 fails built-in/p95.0 <= 100 (value 120.5)",
    ],
    [{ metric: "m", lowerLimit: 2 }, { m: [1] }, "version 0 fails 2 <= m (value 1)"],
    [
      { metric: "built-in/p95", upperLimit: 100 },
      {},
      "version 0 fails built-in/p95.0 <= 100: no data for built-in/p95.0",
    ],
    [{ metric: "m", upperLimit: 1 }, { m: [1] }, "version 0 satisfies m <= 1 (value 1)"],
  ])("explains %o against %o as %s", (slo, values, message) => {
    expect(checkSlo(slo, 0, insightsOf(values)).message).toBe(message);
  });
});

describe("evaluateSlos", () => {
  const slos: SLO[] = [
    { metric: "built-in/error-rate", upperLimit: 0 },
    { metric: "built-in/p95", upperLimit: 100 },
  ];

  it("indexes SLOsSatisfied by [slo][version] and ANDs each version's column", () => {
    const evaluation = evaluateSlos(
      slos,
      insightsOf(
        { "built-in/error-rate": [0], "built-in/p95.0": [15.6] },
        { "built-in/error-rate": [0.02], "built-in/p95.0": [90] },
        { "built-in/error-rate": [0], "built-in/p95.0": [101] },
      ),
    );
    expect(evaluation.SLOsSatisfied).toEqual([
      [true, false, true],
      [true, true, false],
    ]);
    expect(evaluation.SLOsSatisfiedBy).toEqual([true, false, false]);
    expect(evaluation.checks.map((row) => row.map((c) => c.reason))).toEqual([
      ["ok", "above-upper", "ok"],
      ["ok", "ok", "above-upper"],
    ]);
  });

  it("fails every SLO for a skipped version (empty metrics map) with no data", () => {
    const evaluation = evaluateSlos(
      slos,
      insightsOf({ "built-in/error-rate": [0], "built-in/p95.0": [1] }, {}),
    );
    expect(evaluation.SLOsSatisfiedBy).toEqual([true, false]);
    expect(evaluation.checks.map((row) => row[1]?.reason)).toEqual(["no-data", "no-data"]);
  });

  it("counts versions from numVersions even when metricValues is shorter", () => {
    const insights: Insights = {
      numVersions: 2,
      metricsInfo: {},
      metricValues: [{ "built-in/error-rate": [0] }],
    };
    const evaluation = evaluateSlos([{ metric: "built-in/error-rate", upperLimit: 0 }], insights);
    expect(evaluation.SLOsSatisfied).toEqual([[true, false]]);
  });

  it("with no SLOs every version satisfies them all", () => {
    const evaluation = evaluateSlos([], insightsOf({}, {}));
    expect(evaluation).toEqual({ SLOsSatisfied: [], SLOsSatisfiedBy: [true, true], checks: [] });
  });

  it.each([undefined, { numVersions: 0, metricsInfo: {}, metricValues: [] }])(
    "with no versions (%o) yields one empty row per SLO",
    (insights) => {
      const evaluation = evaluateSlos(slos, insights);
      expect(evaluation).toEqual({
        SLOsSatisfied: [[], []],
        SLOsSatisfiedBy: [],
        checks: [[], []],
      });
    },
  );
});

describe("checkSlo's finding", () => {
  it.each([
    [{ metric: "m", upperLimit: 100 }, { m: [120.5] }, "fails m <= 100 (value 120.5)"],
    [{ metric: "m", upperLimit: 100 }, { m: [50] }, "satisfies m <= 100 (value 50)"],
    [{ metric: "m", upperLimit: 100 }, {}, "fails m <= 100: no data for m"],
  ] as Array<[SLO, Record<string, number[]>, string]>)(
    "is the message without its version subject (%j, %j)",
    (slo, values, finding) => {
      const insights: Insights = { numVersions: 2, metricsInfo: {}, metricValues: [{}, values] };
      const check = checkSlo(slo, 1, insights);
      expect(check.finding).toBe(finding);
      expect(check.message).toBe(`version 1 ${finding}`);
    },
  );
});
