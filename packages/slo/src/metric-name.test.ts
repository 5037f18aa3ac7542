import { describe, expect, it } from "vitest";
import { normaliseMetricName } from "./metric-name.js";

describe("normaliseMetricName", () => {
  it.each([
    ["built-in/p95", "built-in/p95.0"],
    ["built-in/p95.0", "built-in/p95.0"],
    ["built-in/p50.00", "built-in/p50.0"],
    ["built-in/p99.9", "built-in/p99.9"],
    ["built-in/p99.95", "built-in/p99.95"],
    ["built-in/p100", "built-in/p100.0"],
    ["built-in/p150", "built-in/p150"],
    ["built-in/p0", "built-in/p0"],
    ["built-in/error-rate", "built-in/error-rate"],
    ["custom/p95", "custom/p95"],
    ["built-in/p95x", "built-in/p95x"],
  ])("maps %s to %s", (name, expected) => {
    expect(normaliseMetricName(name)).toBe(expected);
  });
});
