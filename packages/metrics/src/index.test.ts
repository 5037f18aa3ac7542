import { describe, expect, it } from "vitest";
import * as index from "./index.js";
import { builtInMetricSummaries, deriveBuiltInMetrics } from "./built-in-metrics.js";
import { LatencyHistogram } from "./latency-histogram.js";

describe("the @iter8/metrics entry", () => {
  it("exports the histogram and the HTTP and gRPC load metrics only (the providers are @iter8/providers)", () => {
    expect(Object.keys(index).sort()).toEqual([
      "LatencyHistogram",
      "builtInMetricSummaries",
      "deriveBuiltInMetrics",
      "deriveGrpcMetrics",
      "grpcMetricSummaries",
    ]);
    expect(index.builtInMetricSummaries).toBe(builtInMetricSummaries);
    expect(index.LatencyHistogram).toBe(LatencyHistogram);
    expect(index.deriveBuiltInMetrics).toBe(deriveBuiltInMetrics);
  });
});
