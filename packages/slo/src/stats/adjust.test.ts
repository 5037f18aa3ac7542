import { describe, expect, it } from "vitest";
import { SLO_ERROR_CODES } from "../errors.js";
import { adjustPValues } from "./adjust.js";

describe("adjustPValues", () => {
  // Hand-computed: sorted 0.005, 0.01, 0.03, 0.04 (m = 4).
  // Holm: 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06, max(1·0.04, 0.06) = 0.06.
  // BH: 0.005·4/1 = 0.02, 0.01·4/2 = 0.02, 0.03·4/3 = 0.04, 0.04·4/4 = 0.04 (running min from the top).
  it.each([
    ["holm", [0.01, 0.04, 0.03, 0.005], [0.03, 0.06, 0.06, 0.02]],
    ["benjamini-hochberg", [0.01, 0.04, 0.03, 0.005], [0.02, 0.04, 0.04, 0.02]],
    ["holm", [0.5, 0.6], [1, 1]],
    ["benjamini-hochberg", [0.5, 0.6], [0.6, 0.6]],
    ["holm", [0.02], [0.02]],
    ["holm", [], []],
  ] as const)("%s adjusts %j to %j, in the input order", (method, input, expected) => {
    const got = adjustPValues(input, method);
    expect(got).toHaveLength(expected.length);
    got.forEach((p, i) => expect(p).toBeCloseTo(expected[i] ?? Number.NaN, 12));
  });

  it.each([[-0.1], [1.5], [Number.NaN]])("rejects the p-value %s", (p) => {
    expect(() => adjustPValues([0.1, p], "holm")).toThrow(
      expect.objectContaining({ code: SLO_ERROR_CODES.statsInvalid }),
    );
  });
});
