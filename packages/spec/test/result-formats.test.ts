import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { formatResult, loadResult, parseResult } from "../src/index.js";
import type { ExperimentResult } from "../src/index.js";

const fixtures = join(import.meta.dirname, "fixtures", "results");

describe("results written by every Iter8 release", () => {
  it("reads v0.8.0: SLOsSatisfiedBy indices become one boolean per version, the Histogram metric is set aside", async () => {
    const result = await loadResult(join(fixtures, "v0.8-result.yaml"));
    const insights = result.insights;
    expect(insights?.SLOsSatisfiedBy).toEqual([true, false]);
    expect(insights?.SLOsSatisfied).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(insights?.metricValues[1]).toEqual({
      "built-in/request-count": [40],
      "built-in/mean-latency": [130.75],
      "built-in/p95.0": [190.5],
    });
    expect(Object.keys(insights?.metricsInfo ?? {})).not.toContain("built-in/latency");
  });

  it("reads v0.9/v0.10: nonHistMetricValues are the values, SLOsSatisfiedBy is derived from SLOsSatisfied", async () => {
    const result = await loadResult(join(fixtures, "v0.9-result.yaml"));
    const insights = result.insights;
    expect(result.startTime).toBe("2022-04-01T12:30:00.5-04:00");
    expect(insights?.metricValues).toEqual([
      { "http/error-rate": [0], "http/latency-p90": [33.125], "http/request-count": [5] },
      { "http/error-rate": [0], "http/latency-p90": [9.5], "http/request-count": [5] },
    ]);
    // Iter8 records `http/latency-p90.0` as `http/latency-p90`; the SLO names the recorded metric.
    expect(insights?.SLOs).toEqual([
      { metric: "http/error-rate", upperLimit: 0.01 },
      { metric: "http/latency-p90", upperLimit: 30 },
    ]);
    expect(insights?.SLOsSatisfiedBy).toEqual([false, true]);
    expect(insights?.metricsInfo["http/latency"]).toBeUndefined();
  });

  it("reads v0.9+ insights without SLOs as Iter8 did: every version satisfies them", () => {
    const text = [
      "iter8Version: v0.9",
      "startTime: '2022-04-01T12:30:00Z'",
      "numCompletedTasks: 1",
      "failure: false",
      "insights:",
      "  numVersions: 2",
      "  nonHistMetricValues: [{m/a: [1]}, {m/a: [2]}]",
    ].join("\n");
    const parsed = parseResult(text);
    expect(parsed.ok && parsed.value.insights?.SLOsSatisfiedBy).toEqual([true, true]);
    // Iter8 v0.8.0 (no iter8Version) wrote SLOsSatisfiedBy itself: absent means none assessed.
    const v08 = parseResult(text.replace("iter8Version: v0.9\n", ""));
    expect(v08.ok && v08.value.insights?.SLOsSatisfiedBy).toBeUndefined();
  });

  it("reads a v0.9 result without insights", async () => {
    const result = await loadResult(join(fixtures, "v0.9-no-insights-result.yaml"));
    expect(result).toEqual({
      startTime: "2022-04-01T12:30:00Z",
      numCompletedTasks: 0,
      failure: true,
    });
  });

  it("reads v0.11+: the result of a {spec, result} file, SLOs by side (Upper/upper, Lower/lower)", async () => {
    const result = await loadResult(join(fixtures, "v0.11-experiment.yaml"));
    const insights = result.insights;
    expect(result.numCompletedTasks).toBe(2);
    expect(insights?.SLOs).toEqual([
      { metric: "http/latency-mean", upperLimit: 50 },
      { metric: "user/conversions", lowerLimit: 100 },
    ]);
    expect(insights?.SLOsSatisfied).toEqual([[true], [false]]);
    expect(insights?.SLOsSatisfiedBy).toEqual([false]);
    expect(insights?.metricValues).toEqual([
      { "http/latency-mean": [17.75], "user/conversions": [42] },
    ]);
  });

  it("reads v0.11+ SLOs whose keys differ in case, as Go's JSON decoding did", () => {
    const text = [
      "spec: []",
      "result:",
      "  startTime: '2022-08-09T10:00:00Z'",
      "  numCompletedTasks: 1",
      "  failure: false",
      "  insights:",
      "    numVersions: 1",
      "    SLOs: {Upper: [{Metric: m/a, Limit: 3}]}",
      "    SLOsSatisfied: {Upper: [[true]]}",
      "    nonHistMetricValues: [{m/a: [2]}]",
    ].join("\n");
    const parsed = parseResult(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.insights?.SLOs).toEqual([{ metric: "m/a", upperLimit: 3 }]);
    expect(parsed.value.insights?.SLOsSatisfiedBy).toEqual([true]);
  });

  it("reads v0.13+: rewards {max, min} and rewardsWinners", async () => {
    const result = await loadResult(join(fixtures, "v0.13-experiment.yaml"));
    expect(result.insights?.rewards).toEqual([
      { metric: "user/revenue", preferredDirection: "high" },
      { metric: "http/latency-mean", preferredDirection: "low" },
    ]);
    expect(result.insights?.rewardsWinners).toEqual({ max: [1], min: [1] });
    expect(result.insights?.metricValues[1]).toEqual({
      "http/latency-mean": [12.25],
      "user/revenue": [1500],
    });
  });

  it("reads v0.13+ summary metrics as their aggregations name/count, /mean, /stddev, /min, /max", async () => {
    const result = await loadResult(join(fixtures, "v0.14-summary-experiment.yaml"));
    const first = result.insights?.metricValues[0] ?? {};
    // [count 4, sum 10, min 1, max 4, sumSquares 30]: mean 2.5, sample stddev sqrt(5/3).
    expect(first["abn/basket-size/count"]).toEqual([4]);
    expect(first["abn/basket-size/mean"]).toEqual([2.5]);
    expect(first["abn/basket-size/stddev"]?.[0]).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(first["abn/basket-size/min"]).toEqual([1]);
    expect(first["abn/basket-size/max"]).toEqual([4]);
    expect(result.insights?.metricValues[1]?.["abn/basket-size/mean"]).toEqual([3]);
    expect(result.insights?.metricsInfo["abn/basket-size/mean"]).toEqual({
      description: "mean of items in basket",
      type: "Gauge",
      units: "items",
    });
    expect(result.insights?.metricsInfo["abn/basket-size"]).toBeUndefined();
    expect(result.insights?.SLOsSatisfiedBy).toEqual([true, true]);
  });

  it("refuses an experiment file that has no result yet", () => {
    const parsed = parseResult("spec:\n  - task: assess\n");
    expect(parsed.ok).toBe(false);
  });
});

describe("result.yaml as Iter8 v0.8.0 wrote it", () => {
  const ours: ExperimentResult = {
    startTime: "2024-05-01T10:00:00.000Z",
    numCompletedTasks: 2,
    failure: false,
    insights: {
      numVersions: 3,
      metricsInfo: {
        "built-in/request-count": { description: "number of requests sent", type: "Counter" },
      },
      metricValues: [
        { "built-in/request-count": [10] },
        { "built-in/request-count": [10] },
        { "built-in/request-count": [0] },
      ],
      SLOs: [{ metric: "built-in/request-count", lowerLimit: 5 }],
      SLOsSatisfied: [[true, true, false]],
      SLOsSatisfiedBy: [true, true, false],
      loadDetails: [
        {
          statusCodes: { "200": 10 },
          errorClasses: {},
          histogram: [
            [2, 4, 6],
            [150, 170, 4],
          ],
        },
        { statusCodes: { "200": 10 }, errorClasses: {}, histogram: [[250, 300, 10]] },
        null,
      ],
    },
  };

  it("writes SLOsSatisfiedBy as the indices of the versions that satisfy every SLO", () => {
    const written = load(formatResult(ours)) as { insights: { SLOsSatisfiedBy: unknown } };
    expect(written.insights.SLOsSatisfiedBy).toEqual([0, 1]);
  });

  it("writes the latency histogram as metric built-in/latency of type Histogram with 20 buckets", () => {
    const written = load(formatResult(ours)) as {
      insights: {
        metricsInfo: Record<string, Record<string, unknown>>;
        metricValues: Array<Record<string, number[]>>;
        loadDetails: unknown[];
      };
    };
    expect(written.insights.metricsInfo["built-in/latency"]).toEqual({
      description: "Latency Histogram",
      units: "msec",
      type: "Histogram",
      xmin: 0,
      xmax: 300,
      numBuckets: 20,
    });
    // 20 buckets of 15 ms from 0 to 300: midpoints 3 → bucket 0, 160 → 10, 275 → 18.
    const first = written.insights.metricValues[0]?.["built-in/latency"];
    expect(first).toHaveLength(20);
    expect(first?.[0]).toBe(6);
    expect(first?.[10]).toBe(4);
    expect(first?.reduce((a, b) => a + b, 0)).toBe(10);
    expect(written.insights.metricValues[1]?.["built-in/latency"]?.[18]).toBe(10);
    expect(written.insights.metricValues[2]?.["built-in/latency"]).toBeUndefined();
    // Our own exact histogram stays beside it.
    expect(written.insights.loadDetails).toHaveLength(3);
  });

  it("reads back what it wrote unchanged", () => {
    const parsed = parseResult(formatResult(ours));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value).toEqual(ours);
  });

  it("a script reading v0.8.0 fields finds them in the places Iter8 wrote them", async () => {
    const text = await readFile(join(fixtures, "v0.8-result.yaml"), "utf8");
    const iter8 = load(text) as Record<string, unknown>;
    const written = load(formatResult(ours)) as Record<string, unknown>;
    for (const key of ["startTime", "numCompletedTasks", "failure", "insights"]) {
      expect(Object.keys(written)).toContain(key);
      expect(Object.keys(iter8)).toContain(key);
    }
  });
});
