import { describe, expect, it } from "vitest";
import { logBeta, logGamma, regularizedBeta, regularizedGamma } from "./special-functions.js";

function relativeError(actual: number, expected: number): number {
  return actual === expected ? 0 : Math.abs(actual - expected) / Math.abs(expected);
}

describe("special functions", () => {
  it("gives ln Γ(n) = ln (n − 1)! for n = 1 … 170", () => {
    let logFactorial = 0;
    for (let n = 1; n <= 170; n++) {
      if (n > 1) logFactorial += Math.log(n - 1);
      expect(Math.abs(logGamma(n) - logFactorial), `n = ${n}`).toBeLessThan(
        1e-13 * Math.max(1, logFactorial),
      );
    }
  });

  it("gives ln Γ(½) = ln √π and follows Γ(x + 1) = x Γ(x) for small x", () => {
    // An absolute error in ln Γ is a relative error in Γ.
    expect(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI))).toBeLessThan(4e-15);
    for (const x of [1e-8, 0.01, 0.3, 2.5, 9.99]) {
      expect(Math.abs(logGamma(x + 1) - (Math.log(x) + logGamma(x))), `x = ${x}`).toBeLessThan(
        1e-14 * Math.max(1, Math.abs(logGamma(x))),
      );
    }
  });

  it("gives the same ln B(a, b) by the split for large parameters as by the log-gammas", () => {
    for (const [a, b] of [
      [12, 0.5],
      [40, 3],
      [15, 25],
      [200, 300],
    ] as const) {
      const direct = logGamma(a) + logGamma(b) - logGamma(a + b);
      expect(Math.abs(logBeta(a, b) - direct), `B(${a}, ${b})`).toBeLessThan(
        1e-12 * Math.abs(direct),
      );
      expect(logBeta(b, a)).toBe(logBeta(a, b));
    }
  });

  it("gives I_x(1, 1) = x and I_x(a, 1) = x^a, both tails", () => {
    for (const x of [1e-12, 0.2, 0.5, 0.9, 1 - 1e-9]) {
      const uniform = regularizedBeta(1, 1, x);
      expect(relativeError(uniform.lower, x)).toBeLessThan(1e-14);
      expect(relativeError(uniform.upper, 1 - x)).toBeLessThan(1e-6);
      for (const a of [0.5, 3, 40]) {
        expect(
          relativeError(regularizedBeta(a, 1, x).lower, x ** a),
          `a = ${a}, x = ${x}`,
        ).toBeLessThan(1e-12);
      }
    }
  });

  it("gives P(1, x) = 1 − e^−x and Q(1, x) = e^−x, each tail to full precision", () => {
    for (const x of [1e-10, 0.5, 1, 2, 30, 700]) {
      const { lower, upper } = regularizedGamma(1, x);
      expect(relativeError(lower, -Math.expm1(-x)), `P(1, ${x})`).toBeLessThan(1e-13);
      expect(relativeError(upper, Math.exp(-x)), `Q(1, ${x})`).toBeLessThan(1e-13);
    }
  });

  it("returns NaN for parameters outside the domain", () => {
    expect(logGamma(0)).toBeNaN();
    expect(logBeta(-1, 2)).toBeNaN();
    expect(regularizedBeta(0, 1, 0.5).lower).toBeNaN();
    expect(regularizedGamma(1, -1).upper).toBeNaN();
  });
});
