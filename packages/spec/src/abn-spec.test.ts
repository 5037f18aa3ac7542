import { describe, expect, it } from "vitest";
import { formatCondition, parseCondition } from "./condition.js";
import { parseExperiment } from "./parse-experiment.js";
import { formatResult, parseResult } from "./result.js";
import type { ExperimentResult } from "./model.js";

describe("A/B/n additions to the experiment", () => {
  it.each([
    ["Winner()", { kind: "winner" }],
    ["Winner(1)", { kind: "winner", version: 1 }],
    [
      "not Winner(2) and SLOs()",
      {
        kind: "and",
        left: { kind: "not", operand: { kind: "winner", version: 2 } },
        right: { kind: "slos" },
      },
    ],
  ])("parses %s and formats it back", (text, ast) => {
    expect(parseCondition(text)).toEqual(ast);
    expect(formatCondition(parseCondition(text))).toBe(text);
  });

  it("rejects Winner(x) naming the column", () => {
    expect(() => parseCondition("Winner(x)")).toThrow(/Winner must be a whole number.*column 8/);
  });

  it("reads rewards, method and weights of assess-app-versions, SLOs optional", () => {
    const parsed = parseExperiment(
      [
        "- task: abnmetrics",
        "  with: {url: 'http://127.0.0.1:8080', app: shop, timeout: 2s}",
        "- task: assess-app-versions",
        "  with:",
        "    rewards: [{metric: abn/conversion, preferredDirection: high}]",
        "    method: bayesian",
        "    winnerThreshold: 0.9",
        "    weights: [50, 50]",
        "  if: not Winner()",
      ].join("\n"),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.tasks[0]).toEqual({
      task: "abnmetrics",
      with: { url: "http://127.0.0.1:8080", app: "shop", timeoutMs: 2000 },
    });
    expect(parsed.value.tasks[1]?.with).toEqual({
      SLOs: [],
      rewards: [{ metric: "abn/conversion", preferredDirection: "high" }],
      method: "bayesian",
      winnerThreshold: 0.9,
      weights: [50, 50],
    });
  });

  it("rejects an assess task with neither SLOs nor rewards, and a bad direction", () => {
    const none = parseExperiment("- task: assess-app-versions\n  with: {}\n");
    expect(none.ok).toBe(false);
    const bad = parseExperiment(
      "- task: assess\n  with:\n    rewards: [{metric: abn/x, preferredDirection: up}]\n",
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.message).toMatch(/"high" or "low"/);
  });
});

describe("Winner(i) against the versions loaded", () => {
  it("rejects Winner(2) when the experiment has 2 versions", () => {
    const parsed = parseExperiment(
      [
        "- task: gen-load-and-collect-metrics",
        "  with:",
        "    versionInfo: [{url: 'http://127.0.0.1:1/a'}, {url: 'http://127.0.0.1:1/b'}]",
        "- task: assess-app-versions",
        "  with: {rewards: [{metric: built-in/mean-latency, preferredDirection: low}]}",
        "- run: echo promote",
        "  if: Winner(2)",
      ].join("\n"),
    );
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.issues[0]?.message).toBe(
        "Winner(2) refers to version 2, but the experiment has 2 versions (indexes 0 to 1)",
      );
    }
  });
});

describe("A/B/n additions to the result", () => {
  it("keeps summaries, comparisons (with infinite interval ends) and the winner through YAML", () => {
    const result: ExperimentResult = {
      startTime: "2026-01-01T00:00:00.000Z",
      numCompletedTasks: 2,
      failure: false,
      insights: {
        numVersions: 2,
        metricsInfo: {},
        metricValues: [{}, {}],
        metricSummaries: [
          { "abn/conversion": { type: "mean", count: 10, sum: 3, sumSquares: 3 } },
          { "built-in/error-rate": { type: "proportion", count: 10, successes: 1 } },
        ],
        trafficWeights: [50, 50],
        trafficCounts: [10, 10],
        rewards: [{ metric: "abn/conversion", preferredDirection: "high" }],
        comparisons: [
          {
            metric: "abn/conversion",
            version: 1,
            preferredDirection: "high",
            estimate: 0,
            standardError: 0,
            ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
            pValue: 1,
            better: false,
            worse: false,
            degenerate: "no variance in either version",
          },
        ],
        winner: { method: "welch", reason: "no winner yet: no candidate beats version 0" },
      },
    };
    const back = parseResult(formatResult(result));
    expect(back.ok).toBe(true);
    if (back.ok) expect(back.value).toEqual(result);
  });
});
