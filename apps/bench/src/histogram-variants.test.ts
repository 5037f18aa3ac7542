import { describe, expect, it } from "vitest";
import { RECORDING_VARIANTS, latencySamples, recordMany } from "./histogram-variants.js";
import type { RecordingVariantName } from "./histogram-variants.js";

describe("the recording-cost variants", () => {
  it("record the same values into the same buckets, so their costs compare like for like", () => {
    const samples = latencySamples(3);
    const names = Object.keys(RECORDING_VARIANTS) as RecordingVariantName[];
    expect(names).toHaveLength(2);
    const [own, before] = names.map((n) => recordMany(n, samples, 200_000));
    for (const p of [0, 1, 10, 50, 90, 99, 99.9, 100]) {
      expect(own!.percentile(p)).toBe(before!.percentile(p));
    }
  });

  it("draw latency-like samples: positive, mostly sub-millisecond, with a tail", () => {
    const samples = [...latencySamples(4)].sort((a, b) => a - b);
    expect(samples[0]).toBeGreaterThan(0);
    expect(samples[Math.floor(samples.length / 2)]).toBeLessThan(1_000);
    expect(samples.at(-1)).toBeGreaterThan(10_000);
  });
});
