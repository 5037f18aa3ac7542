import { describe, expect, it } from "vitest";
import {
  builtInNameOfV011Metric,
  isBuiltInMetric,
  normaliseMetricName,
  percentileMetricName,
  percentileOfMetric,
} from "./metric-names.js";

describe("metric names", () => {
  it.each([
    [50, "built-in/p50.0"],
    [95, "built-in/p95.0"],
    [99.9, "built-in/p99.9"],
    [97.5, "built-in/p97.5"],
    [100, "built-in/p100.0"],
  ])("names percentile %d %s", (p, name) => {
    expect(percentileMetricName(p)).toBe(name);
    expect(percentileOfMetric(name)).toBe(p);
  });

  it.each([
    ["built-in/p95", "built-in/p95.0"],
    ["built-in/p95.0", "built-in/p95.0"],
    ["built-in/p99.9", "built-in/p99.9"],
    ["built-in/p99.90", "built-in/p99.9"],
    ["built-in/error-rate", "built-in/error-rate"],
    ["prometheus/latency", "prometheus/latency"],
    ["built-in/p150", "built-in/p150"],
  ])("normalises %s to %s", (name, canonical) => {
    expect(normaliseMetricName(name)).toBe(canonical);
  });

  it("knows which built-in names exist", () => {
    expect(isBuiltInMetric("built-in/mean-latency")).toBe(true);
    expect(isBuiltInMetric("built-in/p95")).toBe(true);
    expect(isBuiltInMetric("built-in/latency-mean")).toBe(false);
    expect(isBuiltInMetric("built-in/p0")).toBe(false);
  });

  it.each([
    ["http/latency-mean", "built-in/mean-latency"],
    ["http/latency-stddev", "built-in/stddev-latency"],
    ["http/latency-min", "built-in/min-latency"],
    ["http/latency-max", "built-in/max-latency"],
    ["http/error-rate", "built-in/error-rate"],
    ["http/error-count", "built-in/error-count"],
    ["http/request-count", "built-in/request-count"],
    ["http/latency-p95", "built-in/p95.0"],
    ["http/latency-p99.9", "built-in/p99.9"],
  ])("maps the Iter8 v0.11 name %s to %s", (v011, builtIn) => {
    expect(builtInNameOfV011Metric(v011)).toBe(builtIn);
  });

  it("maps no other names", () => {
    expect(builtInNameOfV011Metric("http/latency")).toBeUndefined();
    expect(builtInNameOfV011Metric("built-in/error-rate")).toBeUndefined();
  });
});
