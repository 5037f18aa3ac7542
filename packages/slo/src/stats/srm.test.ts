import { describe, expect, it } from "vitest";
import { SLO_ERROR_CODES } from "../errors.js";
import { sampleRatioMismatch } from "./srm.js";

describe("sampleRatioMismatch", () => {
  it("finds no mismatch when counts match the weights exactly", () => {
    expect(sampleRatioMismatch([5000, 5000], [1, 1])).toEqual({
      chiSquare: 0,
      pValue: 1,
      mismatch: false,
    });
  });

  it("flags 5200/4800 against 50/50 (chi-square 16, p = 6.334248e-5)", () => {
    const srm = sampleRatioMismatch([5200, 4800], [50, 50]);
    expect(srm.chiSquare).toBeCloseTo(16, 10);
    expect(srm.pValue).toBeCloseTo(6.334248366623996e-5, 10);
    expect(srm.mismatch).toBe(true);
  });

  it("accepts 7550/2450 against 75/25 (chi-square 4/3, p = 0.2482)", () => {
    const srm = sampleRatioMismatch([7550, 2450], [75, 25]);
    expect(srm.chiSquare).toBeCloseTo(4 / 3, 10);
    expect(srm.pValue).toBeCloseTo(0.2482130789, 6);
    expect(srm.mismatch).toBe(false);
  });

  it("uses versions with positive weight for the degrees of freedom (3:1:1, 2 df)", () => {
    // Expected 600, 200, 200; chi-square = 100/600 + 100/200 + 0 = 2/3; 2-df survival is exp(−x/2).
    const srm = sampleRatioMismatch([610, 190, 200], [3, 1, 1]);
    expect(srm.chiSquare).toBeCloseTo(2 / 3, 10);
    expect(srm.pValue).toBeCloseTo(Math.exp(-1 / 3), 10);
  });

  it("flags observations in a version of weight 0", () => {
    const srm = sampleRatioMismatch([100, 3], [1, 0]);
    expect(srm.mismatch).toBe(true);
    expect(srm.degenerate).toMatch(/version 1 has weight 0/);
  });

  it("says so when there are no observations yet", () => {
    expect(sampleRatioMismatch([0, 0], [1, 1])).toMatchObject({
      pValue: 1,
      mismatch: false,
      degenerate: "no observations yet",
    });
  });

  it.each([
    ["lengths differ", [1, 2], [1]],
    ["a negative count", [-1, 2], [1, 1]],
    ["all weights 0", [1, 2], [0, 0]],
  ])("rejects %s", (_name, counts, weights) => {
    expect(() => sampleRatioMismatch(counts, weights)).toThrow(
      expect.objectContaining({ code: SLO_ERROR_CODES.statsInvalid }),
    );
  });
});
