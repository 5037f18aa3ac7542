import type { ExperimentResult, Insights, MetricSummary } from "@iter8/spec";
import { describe, expect, it } from "vitest";
import { assessAppVersions } from "../assess.js";
import { checkAssertConditions, parseAssertCondition } from "../assert.js";
import { evaluateCondition } from "../evaluate-condition.js";

const conversion = (count: number, successes: number): MetricSummary => ({
  type: "proportion",
  count,
  successes,
});

function insightsWith(
  summaries: Array<Record<string, MetricSummary>>,
  extra: Partial<Insights> = {},
): Insights {
  return {
    numVersions: summaries.length,
    metricsInfo: {},
    metricValues: summaries.map(() => ({})),
    metricSummaries: summaries,
    ...extra,
  };
}

const REWARD = [{ metric: "abn/conversion", preferredDirection: "high" as const }];

describe("winner selection in assessAppVersions", () => {
  it("declares the candidate that converts significantly better the winner", () => {
    const insights = insightsWith([
      { "abn/conversion": conversion(2000, 200) },
      { "abn/conversion": conversion(2000, 205) },
      { "abn/conversion": conversion(2000, 300) },
    ]);
    const out = assessAppVersions({ SLOs: [], rewards: REWARD }, insights);
    expect(out.winner?.version).toBe(2);
    expect(out.winner?.reason).toMatch(/^version 2 wins: abn\/conversion \+50\.0% vs version 0/);
    expect(out.comparisons?.map((c) => [c.version, c.better])).toEqual([
      [1, false],
      [2, true],
    ]);
    // Holm across two candidates: the smaller p-value is doubled.
    const [c1, c2] = out.comparisons ?? [];
    expect(c2?.adjustedPValue).toBeCloseTo(Math.min(1, 2 * (c2?.pValue ?? 1)), 12);
    expect(c1?.adjustedPValue).toBeGreaterThanOrEqual(c2?.adjustedPValue ?? 0);
  });

  it("declares no winner, with the reason, when the versions are equal", () => {
    const insights = insightsWith([
      { "abn/conversion": conversion(2000, 200) },
      { "abn/conversion": conversion(2000, 200) },
    ]);
    const out = assessAppVersions({ SLOs: [], rewards: REWARD }, insights);
    expect(out.winner?.version).toBeUndefined();
    expect(out.winner?.reason).toMatch(/^no winner yet: no candidate beats version 0/);
  });

  it("refuses a better candidate that fails an SLO", () => {
    const insights = insightsWith(
      [{ "abn/conversion": conversion(2000, 200) }, { "abn/conversion": conversion(2000, 300) }],
      { metricValues: [{ "built-in/error-rate": [0] }, { "built-in/error-rate": [0.2] }] },
    );
    const out = assessAppVersions(
      { SLOs: [{ metric: "built-in/error-rate", upperLimit: 0.01 }], rewards: REWARD },
      insights,
    );
    expect(out.winner?.version).toBeUndefined();
    expect(out.winner?.reason).toBe("no winner yet: version 1 beats version 0 but fails the SLOs");
  });

  it("prefers the lower mean when lower is better (latency)", () => {
    const latency = (n: number, mean: number, sd: number): MetricSummary => ({
      type: "mean",
      count: n,
      sum: n * mean,
      sumSquares: (n - 1) * sd * sd + n * mean * mean,
    });
    const insights = insightsWith([
      { "built-in/mean-latency": latency(500, 20, 5) },
      { "built-in/mean-latency": latency(500, 15, 5) },
    ]);
    const out = assessAppVersions(
      { SLOs: [], rewards: [{ metric: "built-in/mean-latency", preferredDirection: "low" }] },
      insights,
    );
    expect(out.winner?.version).toBe(1);
    expect(out.comparisons?.[0]?.estimate).toBeCloseTo(-0.25, 12);
  });

  it("uses the chance to win against winnerThreshold in Bayesian mode", () => {
    const insights = insightsWith([
      { "abn/conversion": conversion(1000, 100) },
      { "abn/conversion": conversion(1000, 122) },
    ]);
    const strict = assessAppVersions(
      { SLOs: [], rewards: REWARD, method: "bayesian", winnerThreshold: 0.99 },
      insights,
    );
    const lenient = assessAppVersions(
      { SLOs: [], rewards: REWARD, method: "bayesian", winnerThreshold: 0.9 },
      insights,
    );
    const chance = strict.comparisons?.[0]?.chanceToWin ?? 0;
    expect(chance).toBeGreaterThan(0.9);
    expect(chance).toBeLessThan(0.99);
    expect(strict.winner?.version).toBeUndefined();
    expect(lenient.winner?.version).toBe(1);
    expect(lenient.winner?.reason).toMatch(/chance to win 9\d\.\d%/);
  });

  it("warns of a sample ratio mismatch against the configured weights", () => {
    const insights = insightsWith([
      { "abn/conversion": conversion(6000, 600) },
      { "abn/conversion": conversion(4000, 400) },
    ]);
    const out = assessAppVersions({ SLOs: [], rewards: REWARD, weights: [50, 50] }, insights);
    expect(out.winner?.srm?.mismatch).toBe(true);
    expect(out.winner?.warnings?.[0]).toMatch(/^sample ratio mismatch: counts 6000\/4000/);
    const fits = assessAppVersions({ SLOs: [], rewards: REWARD, weights: [60, 40] }, insights);
    expect(fits.winner?.srm?.mismatch).toBe(false);
    expect(fits.winner?.warnings).toBeUndefined();
    // Users per version, when recorded, are what must fit the weights (not observations).
    const users = assessAppVersions(
      { SLOs: [], rewards: REWARD, weights: [50, 50] },
      { ...insights, trafficCounts: [1010, 990] },
    );
    expect(users.winner?.srm).toMatchObject({ counts: [1010, 990], mismatch: false });
  });

  it("says why when a version has no sufficient statistics", () => {
    const out = assessAppVersions({ SLOs: [], rewards: REWARD }, insightsWith([{}, {}]));
    expect(out.winner?.reason).toBe(
      "no winner yet: abn/conversion: no sufficient statistics for version 0",
    );
    expect(out.comparisons?.[0]?.degenerate).toBeDefined();
  });

  it("leaves insights without rewards as before", () => {
    const out = assessAppVersions({ SLOs: [] }, insightsWith([{}, {}]));
    expect(out.winner).toBeUndefined();
    expect(out.comparisons).toBeUndefined();
  });
});

describe("winner conditions", () => {
  const result = (insights: Insights): ExperimentResult => ({
    startTime: "2026-01-01T00:00:00Z",
    numCompletedTasks: 1,
    failure: false,
    insights,
  });
  const won = result(
    assessAppVersions(
      { SLOs: [], rewards: REWARD },
      insightsWith([
        { "abn/conversion": conversion(2000, 200) },
        { "abn/conversion": conversion(2000, 300) },
      ]),
    ),
  );
  const open = result(
    assessAppVersions(
      { SLOs: [], rewards: REWARD },
      insightsWith([
        { "abn/conversion": conversion(2000, 200) },
        { "abn/conversion": conversion(2000, 200) },
      ]),
    ),
  );

  it("evaluates if: Winner() and Winner(i)", () => {
    expect(evaluateCondition({ kind: "winner" }, won)).toBe(true);
    expect(evaluateCondition({ kind: "winner", version: 1 }, won)).toBe(true);
    expect(evaluateCondition({ kind: "winner", version: 0 }, won)).toBe(false);
    expect(evaluateCondition({ kind: "winner" }, open)).toBe(false);
  });

  it("checks assert -c winner and -c winner=i with the reason as message", () => {
    const conditions = ["winner", "winner=1", "WINNER = 0"].map(parseAssertCondition);
    const outcomes = checkAssertConditions(conditions, won);
    expect(outcomes.map((o) => o.satisfied)).toEqual([true, true, false]);
    expect(outcomes[0]?.message).toMatch(/^winner: version 1 wins: /);
    expect(outcomes[2]?.message).toMatch(/^winner=0: version 0 is not the winner; version 1 wins/);
    const [none] = checkAssertConditions([parseAssertCondition("winner")], open);
    expect(none?.satisfied).toBe(false);
    expect(none?.message).toMatch(/^winner: no winner yet/);
  });

  it("rejects winner=x", () => {
    expect(() => parseAssertCondition("winner=x")).toThrow(/version must be an index/);
  });
});
