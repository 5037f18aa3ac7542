import { describe, expect, it } from "vitest";
import { chiSquareSurvival, normalCdf, normalQuantile, tCdf, tQuantile } from "./distributions.js";

describe("distribution functions", () => {
  it("gives the t quantile 0.975 with 10 df as 2.228138852", () => {
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228138852, 8);
  });

  it("gives the chi-square (1 df) survival at 3.841458821 as 0.05", () => {
    expect(chiSquareSurvival(3.841458821, 1)).toBeCloseTo(0.05, 8);
  });

  it("inverts the t CDF with the t quantile", () => {
    expect(tCdf(tQuantile(0.9, 7.5), 7.5)).toBeCloseTo(0.9, 10);
  });

  it("gives the normal quantile 0.975 as 1.959963985", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 8);
  });
});
