import { describe, expect, it } from "vitest";
import { createSeededRandom } from "@iter8/test-utils";
import { SLO_ERROR_CODES } from "../errors.js";
import type { Comparison, MeanSummary, ProportionSummary } from "./compare.js";
import { compareMeans, compareProportions } from "./compare.js";

function summarise(values: number[]): MeanSummary {
  return {
    count: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    sumSquares: values.reduce((a, b) => a + b * b, 0),
  };
}

/** A summary with the given size, mean and sample variance. */
function summary(count: number, mean: number, variance: number): MeanSummary {
  return { count, sum: count * mean, sumSquares: (count - 1) * variance + count * mean * mean };
}

// R's `sleep` data: extra hours of sleep under drug 1 and drug 2.
const DRUG1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const DRUG2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

function expectNoNaN(c: Comparison): void {
  const numbers = [
    c.estimate,
    c.standardError,
    ...c.ci,
    c.pValue,
    c.degreesOfFreedom,
    c.chanceToWin,
    ...(c.risk ?? []),
  ];
  for (const x of numbers) expect(Number.isNaN(x)).toBe(false);
}

describe("compareMeans (Welch)", () => {
  // R: t.test(extra ~ group, data = sleep) → t = -1.860813, df = 17.77647, p-value = 0.07939414,
  // 95% CI -3.3654832 0.2054832 (group 1 minus group 2).
  const sleep = compareMeans(summarise(DRUG2), summarise(DRUG1), { difference: "absolute" });

  it("reproduces R's Welch test on the sleep data (t, df, p) to 1e-5", () => {
    expect(sleep.estimate).toBeCloseTo(-1.58, 10);
    expect(sleep.estimate / sleep.standardError).toBeCloseTo(-1.860813, 5);
    expect(sleep.degreesOfFreedom).toBeCloseTo(17.77647, 5);
    expect(sleep.pValue).toBeCloseTo(0.0793941, 6);
  });

  it("reproduces R's 95% confidence interval on the sleep data", () => {
    expect(sleep.ci[0]).toBeCloseTo(-3.3654832, 6);
    expect(sleep.ci[1]).toBeCloseTo(0.2054832, 6);
  });

  it("halves the p-value for the one-sided alternative in the estimate's direction", () => {
    const less = compareMeans(summarise(DRUG2), summarise(DRUG1), {
      difference: "absolute",
      alternative: "less",
    });
    expect(less.pValue).toBeCloseTo(0.0793941 / 2, 6);
    expect(less.ci[0]).toBe(Number.NEGATIVE_INFINITY);
    const greater = compareMeans(summarise(DRUG2), summarise(DRUG1), {
      difference: "absolute",
      alternative: "greater",
    });
    expect(greater.pValue).toBeCloseTo(1 - 0.0793941 / 2, 6);
  });

  it("measures relative lift with the delta method", () => {
    // Control mean 10 (var 4), treatment mean 11 (var 9), 100 each: lift 0.1,
    // var = 9 / (100·10²) + 4·11² / (100·10⁴) = 0.0009 + 0.000484 = 0.001384.
    const c = compareMeans(summary(100, 10, 4), summary(100, 11, 9));
    expect(c.estimate).toBeCloseTo(0.1, 12);
    expect(c.standardError ** 2).toBeCloseTo(0.001384, 12);
    // Welch–Satterthwaite on the two delta-method terms.
    const df = 0.001384 ** 2 / (0.0009 ** 2 / 99 + 0.000484 ** 2 / 99);
    expect(c.degreesOfFreedom).toBeCloseTo(df, 8);
  });
});

describe("compareProportions", () => {
  it("uses variance p(1 − p) per observation", () => {
    // 100/1000 vs 130/1000: difference 0.03, var = 0.13·0.87/1000 + 0.1·0.9/1000 = 0.0002031.
    const c = compareProportions(
      { count: 1000, successes: 100 },
      { count: 1000, successes: 130 },
      {
        difference: "absolute",
      },
    );
    expect(c.estimate).toBeCloseTo(0.03, 12);
    expect(c.standardError ** 2).toBeCloseTo(0.0002031, 12);
    expect(c.pValue).toBeLessThan(0.05);
  });

  it("finds no difference between equal proportions", () => {
    const c = compareProportions({ count: 500, successes: 50 }, { count: 500, successes: 50 });
    expect(c.estimate).toBe(0);
    expect(c.pValue).toBeCloseTo(1, 12);
  });
});

describe("sequential comparisons", () => {
  it("gives a wider interval than the fixed-horizon test", () => {
    const welch = compareMeans(summary(2000, 10, 4), summary(2000, 10.3, 4));
    const seq = compareMeans(summary(2000, 10, 4), summary(2000, 10.3, 4), {
      method: "sequential",
    });
    expect(seq.estimate).toBe(welch.estimate);
    expect(seq.ci[1] - seq.ci[0]).toBeGreaterThan(welch.ci[1] - welch.ci[0]);
    expect(seq.pValue).toBeGreaterThan(welch.pValue ?? 1);
  });

  // GrowthBook's published values (github.com/growthbook/growthbook, packages/stats/tests):
  // test_gbstats.py TestAnalyzeMetricDfSequential (dimension "one", tuning 600: expected
  // -0.074074074, pValue 0.892332229, ci[0] -0.233322085, 9 decimals) and frequentist/test_tests.py
  // TestSequentialTTest.test_sequential_test_runs (tuning 1000: expected 0.50336, ci (-0.55844,
  // 1.56516), pValue 1) and .test_sequential_test_runs_prop (tuning 5000: expected 0.50386, ci
  // (0.40098, 0.60675), pValue 0.0), all relative lifts at alpha 0.05. The first two tell the
  // definitions apart: with ρ recomputed for every α, their p-values would be 1 and 0.8695.
  it.each([
    {
      name: "test_analyze_metric_df_sequential",
      compare: () =>
        compareMeans(
          { count: 100, sum: 270, sumSquares: 848.79 },
          { count: 120, sum: 300, sumSquares: 869 },
          { method: "sequential", sequentialTuning: 600 },
        ),
      estimate: [-0.074074074, 9],
      pValue: [0.892332229, 9],
      ci: [[-0.233322085, 9]],
    },
    {
      name: "test_sequential_test_runs",
      compare: () =>
        compareMeans(
          { count: 3000, sum: 1396.87, sumSquares: 52377.9767 },
          { count: 3461, sum: 2422.7, sumSquares: 134698.29 },
          { method: "sequential", sequentialTuning: 1000 },
        ),
      estimate: [0.50336, 5],
      pValue: [1, 5],
      ci: [
        [-0.55844, 5],
        [1.56516, 5],
      ],
    },
    {
      name: "test_sequential_test_runs_prop",
      compare: () =>
        compareProportions(
          { count: 3000, successes: 1396 },
          { count: 3461, successes: 2422 },
          { method: "sequential" },
        ),
      estimate: [0.50386, 5],
      pValue: [0, 5],
      ci: [
        [0.40098, 5],
        [0.60675, 5],
      ],
    },
  ] as const)("matches GrowthBook's $name", ({ compare, estimate, pValue, ci }) => {
    const c = compare();
    expect(c.estimate).toBeCloseTo(estimate[0], estimate[1]);
    expect(c.pValue).toBeCloseTo(pValue[0], pValue[1]);
    ci.forEach(([value, digits], i) => expect(c.ci[i]).toBeCloseTo(value, digits));
  });

  it("reports p = min(1, 1/E) for the e-value at the ρ of the configured alpha", () => {
    const control = summary(3000, 10, 4);
    const treatment = summary(3000, 10.3, 4);
    const opts = { method: "sequential", difference: "absolute", sequentialTuning: 4000 } as const;
    const c = compareMeans(control, treatment, opts);
    // E = exp(ρ² S / (2 (Nρ² + 1))) / sqrt(Nρ² + 1), S = estimate² N / SE², ρ² from alpha 0.05.
    const n = 6000;
    const logTerm = -2 * Math.log(0.05);
    const rho2 = (logTerm + Math.log(logTerm + 1)) / 4000;
    const s = (0.3 * 0.3 * n) / (c.standardError * c.standardError);
    const e = Math.exp((rho2 * s) / (2 * (n * rho2 + 1))) / Math.sqrt(n * rho2 + 1);
    expect(c.pValue).toBeCloseTo(Math.min(1, 1 / e), 12);
    expect(c.pValue).toBeGreaterThan(0);
    expect(c.pValue).toBeLessThan(0.05);
    // A stricter alpha changes ρ and widens the interval, but the p-value is read at its own ρ.
    const strict = compareMeans(control, treatment, { ...opts, alpha: 0.01 });
    expect(strict.ci[1] - strict.ci[0]).toBeGreaterThan(c.ci[1] - c.ci[0]);
    expect(strict.pValue).not.toBe(c.pValue);
  });

  it.each(["two-sided", "greater", "less"] as const)(
    "rejects at alpha exactly when the %s interval excludes 0",
    (alternative) => {
      for (const alpha of [0.01, 0.05, 0.1, 0.2]) {
        for (const shift of [-0.6, -0.3, -0.2, -0.1, -0.02, 0, 0.02, 0.1, 0.2, 0.3, 0.6]) {
          const c = compareMeans(summary(1500, 10, 4), summary(1500, 10 + shift, 4), {
            method: "sequential",
            difference: "absolute",
            alternative,
            alpha,
          });
          const excludes = c.ci[0] > 0 || c.ci[1] < 0;
          expect((c.pValue ?? Number.NaN) <= alpha, `alpha ${alpha}, shift ${shift}`).toBe(
            excludes,
          );
        }
      }
    },
  );

  it("gives a one-sided p-value of 1 when the estimate lies on the other side", () => {
    const opts = { method: "sequential", difference: "absolute" } as const;
    const worse = compareMeans(summary(3000, 10, 4), summary(3000, 9.5, 4), {
      ...opts,
      alternative: "greater",
    });
    expect(worse.pValue).toBe(1);
    const better = compareMeans(summary(3000, 10, 4), summary(3000, 9.5, 4), {
      ...opts,
      alternative: "less",
    });
    expect(better.pValue).toBeLessThan(1e-6);
  });

  it("keeps the false-positive rate of continuous peeking at alpha, unlike Welch", () => {
    // 200 A/A experiments, each looked at after every 100 users per arm up to 2000.
    const rng = createSeededRandom(7);
    let welchFalse = 0;
    let seqFalse = 0;
    for (let e = 0; e < 200; e++) {
      const arms: [ProportionSummary, ProportionSummary] = [
        { count: 0, successes: 0 },
        { count: 0, successes: 0 },
      ];
      let welchHit = false;
      let seqHit = false;
      for (let look = 0; look < 20; look++) {
        for (const arm of arms) {
          for (let u = 0; u < 100; u++) {
            arm.count++;
            if (rng() < 0.2) arm.successes++;
          }
        }
        const opts = { difference: "absolute" } as const;
        if ((compareProportions(arms[0], arms[1], opts).pValue ?? 1) < 0.05) welchHit = true;
        const seqP = compareProportions(arms[0], arms[1], { ...opts, method: "sequential" }).pValue;
        if ((seqP ?? 1) < 0.05) seqHit = true;
      }
      if (welchHit) welchFalse++;
      if (seqHit) seqFalse++;
    }
    expect(welchFalse / 200).toBeGreaterThan(0.1);
    expect(seqFalse / 200).toBeLessThanOrEqual(0.05);
  });
});

describe("Bayesian comparisons (flat prior)", () => {
  const opts = { method: "bayesian", difference: "absolute" } as const;

  it("gives chance to win Φ(estimate / se): 0.0313853 on the sleep data", () => {
    const c = compareMeans(summarise(DRUG2), summarise(DRUG1), opts);
    expect(c.chanceToWin).toBeCloseTo(0.0313853, 6);
    expect(c.pValue).toBeUndefined();
  });

  it("turns chance to win around when lower is better", () => {
    const c = compareMeans(summarise(DRUG2), summarise(DRUG1), { ...opts, alternative: "less" });
    expect(c.chanceToWin).toBeCloseTo(1 - 0.0313853, 6);
  });

  it("gives risks whose difference is the expected gain", () => {
    const c = compareMeans(summary(400, 10, 4), summary(400, 10.2, 4), opts);
    const [riskControl, riskTreatment] = c.risk ?? [Number.NaN, Number.NaN];
    expect(riskControl - riskTreatment).toBeCloseTo(c.estimate, 12);
    expect(riskTreatment).toBeGreaterThan(0);
    expect(riskTreatment).toBeLessThan(riskControl);
  });
});

describe("degenerate inputs", () => {
  it.each([
    [
      "no observations",
      { count: 0, sum: 0, sumSquares: 0 },
      summary(10, 1, 1),
      /control has 0 observations/,
    ],
    [
      "one observation",
      summary(10, 1, 1),
      { count: 1, sum: 2, sumSquares: 4 },
      /treatment has 1 observation;/,
    ],
    ["no variance", summary(10, 1, 0), summary(10, 1, 0), /no variance/],
    [
      "a control mean of 0 for a relative lift",
      summary(10, 0, 1),
      summary(10, 1, 1),
      /control mean is 0/,
    ],
  ])("says so for %s, with p-value 1 and no NaN", (_name, control, treatment, reason) => {
    for (const method of ["welch", "sequential", "bayesian"] as const) {
      const c = compareMeans(control, treatment, { method });
      expect(c.degenerate).toMatch(reason);
      expectNoNaN(c);
      if (method === "bayesian") expect(c.chanceToWin).toBe(0.5);
      else expect(c.pValue).toBe(1);
    }
  });

  it("says so for proportions with no observations", () => {
    const c = compareProportions({ count: 0, successes: 0 }, { count: 0, successes: 0 });
    expect(c.degenerate).toMatch(/0 observations/);
    expectNoNaN(c);
  });

  it.each([
    [
      "more successes than trials",
      () => compareProportions({ count: 1, successes: 2 }, { count: 1, successes: 0 }),
    ],
    [
      "a negative count",
      () => compareMeans({ count: -1, sum: 0, sumSquares: 0 }, summary(2, 1, 1)),
    ],
    ["alpha 0", () => compareMeans(summary(5, 1, 1), summary(5, 1, 1), { alpha: 0 })],
    ["tuning 0", () => compareMeans(summary(5, 1, 1), summary(5, 1, 1), { sequentialTuning: 0 })],
  ])("rejects %s", (_name, call) => {
    expect(call).toThrow(expect.objectContaining({ code: SLO_ERROR_CODES.statsInvalid }));
  });
});
