import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AS241_CENTRAL_DENOMINATOR,
  AS241_CENTRAL_NUMERATOR,
  AS241_INTERMEDIATE_DENOMINATOR,
  AS241_INTERMEDIATE_NUMERATOR,
  AS241_TAIL_DENOMINATOR,
  AS241_TAIL_NUMERATOR,
  chiSquareCdf,
  chiSquareSurvival,
  normalCdf,
  normalQuantile,
  tCdf,
  tQuantile,
} from "./distributions.js";

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

type Row = number[];
interface DistributionFixture {
  versions: Record<string, string>;
  tCdf: Row[];
  tQuantile: Row[];
  chiSquareCdf: Row[];
  chiSquareSurvival?: Row[];
  normalCdf: Row[];
  normalQuantile: Row[];
}
function readFixture(name: string): DistributionFixture {
  const url = new URL(`../../test/fixtures/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as DistributionFixture;
}
const FUNCTIONS = {
  tCdf: (x: number, df: number) => tCdf(x, df),
  tQuantile: (p: number, df: number) => tQuantile(p, df),
  chiSquareCdf: (x: number, df: number) => chiSquareCdf(x, df),
  chiSquareSurvival: (x: number, df: number) => chiSquareSurvival(x, df),
  normalCdf: (x: number) => normalCdf(x),
  normalQuantile: (p: number) => normalQuantile(p),
} as const;
type FunctionName = keyof typeof FUNCTIONS;

/** |actual − expected| / |expected|; values both below 1e-300 (the subnormal range) count as equal. */
function relativeError(actual: number, expected: number): number {
  if (actual === expected) return 0;
  if (Math.abs(expected) < 1e-300 && Math.abs(actual) < 1e-300) return 0;
  return Math.abs(actual - expected) / Math.abs(expected);
}

/** The rows of a fixture where our function is off by more than `tolerance`, for a readable failure. */
function mismatches(name: FunctionName, rows: Row[], tolerance: number): string[] {
  const fn: (...args: number[]) => number = FUNCTIONS[name];
  const bad: string[] = [];
  for (const row of rows) {
    const args = row.slice(0, -1);
    const expected = row.at(-1) as number;
    const actual = fn(...args);
    const error = relativeError(actual, expected);
    if (!(error <= tolerance)) {
      bad.push(`${name}(${args.join(", ")}) = ${actual}, want ${expected} (rel. error ${error})`);
    }
  }
  return bad;
}

describe("distribution functions against reference values", () => {
  const scipy = readFixture("reference-distributions.json");
  const stdlib = readFixture("stdlib-distributions.json");
  const names = Object.keys(FUNCTIONS) as FunctionName[];

  it.each(names)(
    "%s matches SciPy (checked against mpmath) to 1e-10 relative, tails included",
    (name) => {
      const rows = scipy[name] ?? [];
      expect(rows.length).toBeGreaterThan(10);
      expect(mismatches(name, rows, 1e-10)).toEqual([]);
    },
  );

  // @stdlib's normal quantile (by erfinv) loses digits in the far tail: 2e-9 relative at p = 1e-10,
  // 4e-7 at 1e-12, 1.2e-5 at 1e-15. SciPy agrees with AS 241 there; those rows are checked below.
  const STDLIB_TAIL: Record<number, number> = {
    1e-10: -6.361340902404056,
    1e-12: -7.034483825301131,
    1e-15: -7.941345326170998,
  };
  const STDLIB_WRONG = (name: FunctionName, row: Row) =>
    name === "normalQuantile" && (row[0] as number) in STDLIB_TAIL;

  it.each(names.filter((n) => n !== "chiSquareSurvival"))(
    "%s matches the @stdlib function it replaced to 1e-10 relative over the recorded grid",
    (name) => {
      const rows = (stdlib[name] ?? []).filter((row) => !STDLIB_WRONG(name, row));
      expect(rows.length).toBeGreaterThan(10);
      expect(mismatches(name, rows, 1e-10)).toEqual([]);
    },
  );

  it.each(Object.entries(STDLIB_TAIL))(
    "agrees with SciPy where @stdlib's normal quantile lost digits (p = %s)",
    (p, scipyValue) => {
      const row = stdlib.normalQuantile.find((r) => r[0] === Number(p));
      expect(relativeError(normalQuantile(Number(p)), scipyValue)).toBeLessThan(1e-14);
      expect(relativeError(row?.[1] ?? 0, scipyValue)).toBeGreaterThan(1e-9);
    },
  );

  it("names the @stdlib versions the grid was recorded from", () => {
    expect(stdlib.versions).toEqual({
      "@stdlib/stats-base-dists-t-cdf": "0.2.3",
      "@stdlib/stats-base-dists-t-quantile": "0.2.3",
      "@stdlib/stats-base-dists-chisquare-cdf": "0.3.1",
      "@stdlib/stats-base-dists-normal-cdf": "0.3.1",
      "@stdlib/stats-base-dists-normal-quantile": "0.3.1",
    });
  });
});

describe("distribution functions against R", () => {
  // Values as R 4.x prints them with options(digits = 16).
  it.each([
    ["qt(0.975, 10)", () => tQuantile(0.975, 10), 2.228138851986274],
    ["qt(0.975, 1)", () => tQuantile(0.975, 1), 12.70620473617471],
    ["qt(0.975, 5)", () => tQuantile(0.975, 5), 2.570581835636314],
    ["qt(0.995, 5)", () => tQuantile(0.995, 5), 4.032142983557536],
    ["qt(0.975, 20)", () => tQuantile(0.975, 20), 2.085963447265837],
    ["qt(0.975, 30)", () => tQuantile(0.975, 30), 2.042272456301238],
    ["qt(0.975, 100)", () => tQuantile(0.975, 100), 1.983971518523552],
    ["pt(-2, 5)", () => tCdf(-2, 5), 0.05096973941492914],
    ["qnorm(0.975)", () => normalQuantile(0.975), 1.959963984540054],
    ["qnorm(0.995)", () => normalQuantile(0.995), 2.575829303548901],
    ["pnorm(-1.96)", () => normalCdf(-1.96), 0.02499789514822052],
    ["1 - pchisq(qchisq(0.95, 1), 1)", () => chiSquareSurvival(3.841458820694124, 1), 0.05],
    ["1 - pchisq(qchisq(0.95, 10), 10)", () => chiSquareSurvival(18.30703805327515, 10), 0.05],
    ["1 - pchisq(qchisq(0.99, 5), 5)", () => chiSquareSurvival(15.08627246938899, 5), 0.01],
  ] as const)("%s", (_name, compute, expected) => {
    expect(relativeError(compute(), expected)).toBeLessThan(1e-11);
  });
});

describe("distribution functions against closed forms", () => {
  const xs = [-1e6, -300, -20, -3, -1, -0.25, 0.25, 1, 3, 20, 300, 1e6];

  it.each(xs)("t with 1 df is the Cauchy distribution at %s", (x) => {
    // atan(1/|x|)/π is the lower tail without cancellation.
    const tail = Math.atan(1 / Math.abs(x)) / Math.PI;
    expect(relativeError(tCdf(x, 1), x < 0 ? tail : 1 - tail)).toBeLessThan(1e-13);
  });

  it.each(xs)("t with 2 df has its closed form at %s", (x) => {
    const root = Math.sqrt(2 + x * x);
    const tail = 1 / (root * (root + Math.abs(x)));
    expect(relativeError(tCdf(x, 2), x < 0 ? tail : 1 - tail)).toBeLessThan(1e-13);
  });

  it.each([1e-6, 0.1, 1, 5, 50, 200, 1400])("chi-square with 2 df is exponential at %s", (x) => {
    expect(relativeError(chiSquareSurvival(x, 2), Math.exp(-x / 2))).toBeLessThan(1e-13);
    expect(relativeError(chiSquareCdf(x, 2), -Math.expm1(-x / 2))).toBeLessThan(1e-13);
  });

  it.each([
    [4, 3],
    [10, 30],
    [20, 7],
    [40, 1000],
    [100, 80],
  ])("chi-square with %s df at %s is a Poisson sum", (df, x) => {
    // P(X > x) = P(Poisson(x/2) < df/2) = e^(−x/2) Σ_{i < df/2} (x/2)^i / i!
    const m = x / 2;
    let term = 1;
    let sum = 1;
    for (let i = 1; i < df / 2; i++) {
      term *= m / i;
      sum += term;
    }
    expect(relativeError(chiSquareSurvival(x, df), Math.exp(-m) * sum)).toBeLessThan(1e-12);
  });

  it.each([1e-300, 1e-100, 1e-10, 0.01, 0.3, 0.7, 0.99, 1 - 1e-10])(
    "the t quantile with 1 and 2 df inverts the t CDF at p = %s",
    (p) => {
      for (const df of [1, 2]) {
        expect(relativeError(tCdf(tQuantile(p, df), df), p)).toBeLessThan(1e-12);
      }
    },
  );
});

describe("distribution functions: inversion and edges", () => {
  it.each([0.1, 0.5, 0.9, 3, 7.5, 29.5, 1000, 1e6, 1e9])(
    "the t quantile inverts the t CDF from p = 1e-12 to 1 - 1e-10 (df %s)",
    (df) => {
      for (const p of [1e-12, 1e-6, 0.001, 0.049, 0.3, 0.4999, 0.5001, 0.8, 0.99, 1 - 1e-10]) {
        const q = tQuantile(p, df);
        expect(Number.isFinite(q), `tQuantile(${p}, ${df})`).toBe(true);
        // Relative to the smaller tail, which is what the inversion pins down.
        const tail = p < 0.5 ? tCdf(q, df) : 1 - tCdf(q, df);
        expect(relativeError(tail, p < 0.5 ? p : 1 - p), `p ${p}`).toBeLessThan(1e-9);
      }
    },
  );

  it("keeps the upper chi-square tail where 1 - cdf would round to 0", () => {
    expect(relativeError(chiSquareSurvival(200, 2), Math.exp(-100))).toBeLessThan(1e-13);
    expect(1 - chiSquareCdf(200, 2)).toBe(0);
  });

  it("answers the limits and rejects what has no answer", () => {
    expect(tQuantile(0, 5)).toBe(Number.NEGATIVE_INFINITY);
    expect(tQuantile(1, 5)).toBe(Number.POSITIVE_INFINITY);
    expect(tQuantile(0.5, 5)).toBe(0);
    expect(tCdf(Number.NEGATIVE_INFINITY, 5)).toBe(0);
    expect(tCdf(Number.POSITIVE_INFINITY, 5)).toBe(1);
    expect(tCdf(1.5, Number.POSITIVE_INFINITY)).toBe(normalCdf(1.5));
    expect(tQuantile(0.9, Number.POSITIVE_INFINITY)).toBe(normalQuantile(0.9));
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(Number.POSITIVE_INFINITY, 3)).toBe(0);
    for (const value of [
      tCdf(1, 0),
      tCdf(1, -1),
      tCdf(Number.NaN, 3),
      tQuantile(1.1, 3),
      tQuantile(-0.1, 3),
      tQuantile(0.5, Number.NaN),
      chiSquareSurvival(1, 0),
      chiSquareSurvival(Number.NaN, 1),
      normalQuantile(2),
      normalCdf(Number.NaN),
    ]) {
      expect(value).toBeNaN();
    }
  });

  it.each([
    ["|p - 1/2| <= 0.425", AS241_CENTRAL_NUMERATOR, AS241_CENTRAL_DENOMINATOR, 55.8831928806149],
    ["r <= 5", AS241_INTERMEDIATE_NUMERATOR, AS241_INTERMEDIATE_DENOMINATOR, 49.3320650330161],
    ["r > 5", AS241_TAIL_NUMERATOR, AS241_TAIL_DENOMINATOR, 47.5258331754929],
  ] as const)(
    "AS 241's coefficients for %s add up to the paper's check sum",
    (_range, num, den, checkSum) => {
      // The paper's "hash sum": the sum of the coefficients' mantissas (d.ddd… of d.ddd…e±k), the
      // denominator's leading 1 left out.
      const mantissa = (c: number) => c / 10 ** Math.floor(Math.log10(c));
      const sum = [...num, ...den.slice(1)].reduce((total, c) => total + mantissa(c), 0);
      expect(relativeError(sum, checkSum)).toBeLessThan(1e-14);
    },
  );
});
