import { LatencyHistogram } from "@iter8/metrics";
import { describe, expect, it } from "vitest";
import type { EngineResult } from "./load-engine.js";
import { decodeEngineResult, encodeEngineResult } from "./worker-protocol.js";
import { mergeEngineResults } from "./workers.js";

function part(values: number[], overrides: Partial<EngineResult>): EngineResult {
  const latency = new LatencyHistogram();
  for (const v of values) latency.record(v);
  return {
    aborted: false,
    requests: values.length,
    errors: 0,
    statusCodes: { "200": values.length },
    errorClasses: {},
    measureStart: 100,
    endTime: 200,
    latency,
    serviceTime: latency.clone(),
    queueWait: latency.clone(),
    dispatchLag: latency.clone(),
    warmupRequests: 1,
    timeline: [],
    ...overrides,
  };
}

describe("worker results", () => {
  it("survive encoding for postMessage, with times shifted onto the shared clock", () => {
    const original = part([5, 50, 500], { errorClasses: { reset: 1 } });
    const back = decodeEngineResult(structuredClone(encodeEngineResult(original, 1000)));
    expect(back.measureStart).toBe(1100);
    expect(back.endTime).toBe(1200);
    expect(back.errorClasses).toEqual({ reset: 1 });
    expect(back.latency.count).toBe(3);
    expect(back.latency.percentile(50)).toBe(original.latency.percentile(50));
    expect(back.dispatchLag?.max).toBe(500);
  });

  it("merge: counts add up, the window spans all shares, histograms merge", () => {
    const merged = mergeEngineResults([
      part([10, 20], {
        measureStart: 100,
        endTime: 300,
        statusCodes: { "200": 1, "503": 1 },
        errors: 1,
      }),
      part([30], { measureStart: 90, endTime: 250, aborted: true, errorClasses: { timeout: 2 } }),
    ]);
    expect(merged.requests).toBe(3);
    expect(merged.errors).toBe(1);
    expect(merged.statusCodes).toEqual({ "200": 2, "503": 1 });
    expect(merged.errorClasses).toEqual({ timeout: 2 });
    expect(merged.measureStart).toBe(90);
    expect(merged.endTime).toBe(300);
    expect(merged.aborted).toBe(true);
    expect(merged.warmupRequests).toBe(2);
    expect([merged.latency.min, merged.latency.max, merged.latency.count]).toEqual([10, 30, 3]);
    expect(merged.dispatchLag?.count).toBe(3);
  });
});
