import { describe, expect, it } from "vitest";
import * as histogramEntry from "./histogram.js";
import * as index from "./index.js";

describe("the @iter8/metrics/histogram entry", () => {
  it("exports the same histogram and built-in metrics as the index", () => {
    expect(Object.keys(histogramEntry).sort()).toEqual([
      "LatencyHistogram",
      "deriveBuiltInMetrics",
    ]);
    expect(histogramEntry.LatencyHistogram).toBe(index.LatencyHistogram);
    expect(histogramEntry.deriveBuiltInMetrics).toBe(index.deriveBuiltInMetrics);
  });
});
