import { describe, expect, it } from "vitest";
import { percentileMetricName as specPercentileMetricName } from "@iter8/spec";
import {
  builtInMetricSummaries,
  deriveBuiltInMetrics,
  percentileMetricName,
} from "./built-in-metrics.js";
import { LatencyHistogram } from "./latency-histogram.js";

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

describe("deriveBuiltInMetrics", () => {
  const latency = histogramOf([1000, 2000, 3000, 4000]);
  const { metricsInfo, values } = deriveBuiltInMetrics(
    { requests: 4, errors: 1, latency },
    [50, 95, 99.9],
  );

  it("names every built-in metric exactly as Iter8 does", () => {
    expect(Object.keys(metricsInfo).sort()).toEqual(
      [
        "built-in/error-count",
        "built-in/error-rate",
        "built-in/max-latency",
        "built-in/mean-latency",
        "built-in/min-latency",
        "built-in/p50.0",
        "built-in/p95.0",
        "built-in/p99.9",
        "built-in/request-count",
        "built-in/stddev-latency",
      ].sort(),
    );
    expect(Object.keys(values).sort()).toEqual(Object.keys(metricsInfo).sort());
  });

  it("types counts as Counter and the rest as Gauge, latencies in msec", () => {
    expect(metricsInfo["built-in/request-count"]).toMatchObject({ type: "Counter" });
    expect(metricsInfo["built-in/error-count"]).toMatchObject({ type: "Counter" });
    expect(metricsInfo["built-in/error-rate"]).toMatchObject({ type: "Gauge" });
    expect(metricsInfo["built-in/error-rate"]?.units).toBeUndefined();
    for (const name of ["mean", "stddev", "min", "max"]) {
      expect(metricsInfo[`built-in/${name}-latency`]).toMatchObject({
        type: "Gauge",
        units: "msec",
      });
    }
    expect(metricsInfo["built-in/p95.0"]).toMatchObject({ type: "Gauge", units: "msec" });
    expect(metricsInfo["built-in/request-count"]?.description).toBe("number of requests sent");
    expect(metricsInfo["built-in/p99.9"]?.description).toBe(
      "99.9-th percentile of observed latency values",
    );
    for (const info of Object.values(metricsInfo))
      expect(info.description.length).toBeGreaterThan(0);
  });

  it("derives counts, rate and latencies in milliseconds from the summary", () => {
    expect(values["built-in/request-count"]).toEqual([4]);
    expect(values["built-in/error-count"]).toEqual([1]);
    expect(values["built-in/error-rate"]).toEqual([0.25]);
    expect(values["built-in/mean-latency"]).toEqual([2.5]);
    expect(values["built-in/min-latency"]).toEqual([1]);
    expect(values["built-in/max-latency"]).toEqual([4]);
    expect(values["built-in/stddev-latency"]?.[0]).toBeCloseTo(Math.sqrt(1.25), 9);
    expect(values["built-in/p50.0"]).toEqual([2]);
    expect(values["built-in/p95.0"]).toEqual([4]);
    expect(values["built-in/p99.9"]).toEqual([4]);
  });

  it("leaves latency metrics and the error rate absent when there were no requests", () => {
    const empty = deriveBuiltInMetrics(
      { requests: 0, errors: 0, latency: new LatencyHistogram() },
      [50, 99],
    );
    expect(empty.values).toEqual({ "built-in/request-count": [0], "built-in/error-count": [0] });
    expect(Object.keys(empty.metricsInfo)).toContain("built-in/p99.0");
  });

  it("leaves latency metrics absent when every request failed without a response", () => {
    const failed = deriveBuiltInMetrics(
      { requests: 3, errors: 3, latency: new LatencyHistogram() },
      [50],
    );
    expect(failed.values).toEqual({
      "built-in/request-count": [3],
      "built-in/error-count": [3],
      "built-in/error-rate": [1],
    });
  });

  it.each([50, 95, 99, 99.9, 99.99, 75.5, 100])(
    "names percentile %d exactly as @iter8/spec does",
    (p) => {
      expect(percentileMetricName(p)).toBe(specPercentileMetricName(p));
    },
  );
});

describe("builtInMetricSummaries", () => {
  it("gives the error rate as a proportion and the mean latency's sufficient statistics in msec", () => {
    const latency = histogramOf([1000, 2000, 3000, 4000]);
    const summaries = builtInMetricSummaries({ requests: 4, errors: 1, latency });
    expect(summaries["built-in/error-rate"]).toEqual({
      type: "proportion",
      count: 4,
      successes: 1,
    });
    const mean = summaries["built-in/mean-latency"];
    if (mean?.type !== "mean") throw new Error("no mean-latency summary");
    expect(mean.count).toBe(4);
    expect(mean.sum / mean.count).toBeCloseTo(latency.mean / 1000, 9);
    const variance = mean.sumSquares / mean.count - (mean.sum / mean.count) ** 2;
    expect(Math.sqrt(Math.max(0, variance))).toBeCloseTo(latency.stddev / 1000, 6);
  });

  it("has no mean-latency summary when no latency was recorded", () => {
    const summaries = builtInMetricSummaries({ requests: 0, errors: 0, latency: histogramOf([]) });
    expect(Object.keys(summaries)).toEqual(["built-in/error-rate"]);
  });
});
