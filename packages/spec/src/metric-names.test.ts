import { describe, expect, it } from "vitest";
import {
  builtInNameOfV011Metric,
  grpcPercentileOfMetric,
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
    ["built-in/p50.00", "built-in/p50.0"],
    ["built-in/p100", "built-in/p100.0"],
    ["built-in/p0", "built-in/p0"],
    ["built-in/p95x", "built-in/p95x"],
    ["custom/p95", "custom/p95"],
    ["grpc/latency/p50", "grpc/latency/p50.0"],
    ["grpc/latency/p50.0", "grpc/latency/p50.0"],
    ["grpc/latency/p97.5", "grpc/latency/p97.5"],
    ["grpc-hello/latency/p99", "grpc-hello/latency/p99.0"],
    ["grpc/latency/mean", "grpc/latency/mean"],
    ["grpc/latency/p0", "grpc/latency/p0"],
  ])("normalises %s to %s", (name, canonical) => {
    expect(normaliseMetricName(name)).toBe(canonical);
  });

  it("reads the prefix and percentile of a gRPC latency percentile", () => {
    expect(grpcPercentileOfMetric("grpc/latency/p95")).toEqual({ prefix: "grpc", percentile: 95 });
    expect(grpcPercentileOfMetric("grpc-a.b/latency/p99.9")).toEqual({
      prefix: "grpc-a.b",
      percentile: 99.9,
    });
    expect(grpcPercentileOfMetric("grpc/latency/max")).toBeUndefined();
    expect(grpcPercentileOfMetric("built-in/p95.0")).toBeUndefined();
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
