import { describe, expect, it } from "vitest";
import { formatMetricValue } from "./format-value.js";

describe("formatMetricValue", () => {
  it.each<[number | undefined, string | undefined, string]>([
    [0, undefined, "0"],
    [100, undefined, "100"],
    [-3, undefined, "-3"],
    [0.03, undefined, "0.03"],
    [3.8, "msec", "3.80 (msec)"],
    [201.7519, "msec", "201.75 (msec)"],
    [12, "msec", "12 (msec)"],
    [0.004, undefined, "0.004"],
    [0.0012345, undefined, "0.00123"],
    [-0.001, undefined, "-0.001"],
    [0.005, undefined, "0.01"],
    [0.0049, "msec", "0.0049 (msec)"],
    [97.5, "req/s", "97.50 (req/s)"],
    [5.5, "", "5.50"],
    [undefined, "msec", "unavailable"],
    [Number.NaN, undefined, "unavailable"],
  ])("formats %s with units %j as %j", (value, units, expected) => {
    expect(formatMetricValue(value, units)).toBe(expected);
  });
});
