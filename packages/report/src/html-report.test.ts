import { describe, expect, it } from "vitest";
import { drawableSamples } from "./html-report.js";

const sample = (elapsedMs: number) => ({ elapsedMs, completed: 0, errors: 0, rate: 1 });

describe("drawableSamples", () => {
  it("leaves out a sample covering less than half the usual interval", () => {
    const timeline = [1000, 2000, 3000, 3020].map(sample);
    expect(drawableSamples(timeline).map((s) => s.elapsedMs)).toEqual([1000, 2000, 3000]);
  });

  it("keeps evenly spaced samples, and a single one", () => {
    expect(drawableSamples([1000, 2000, 2900].map(sample))).toHaveLength(3);
    expect(drawableSamples([sample(400)])).toHaveLength(1);
  });
});
