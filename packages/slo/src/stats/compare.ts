import { SLO_ERROR_CODES, SloError } from "../errors.js";
import { normalCdf, normalPdf, normalQuantile, tCdf, tQuantile } from "./distributions.js";

/** Sufficient statistics of a numeric metric for one version: observations, their sum and sum of squares. */
export type MeanSummary = { count: number; sum: number; sumSquares: number };

/** Sufficient statistics of a conversion-type metric for one version: trials and successes. */
export type ProportionSummary = { count: number; successes: number };

/** How {@link compareMeans} and {@link compareProportions} compare two versions. */
export type CompareOptions = {
  /** Significance level (frequentist) or 1 − credibility (Bayesian); default 0.05. */
  alpha?: number;
  /** The hypothesis: treatment ≠, > or < control; default "two-sided". */
  alternative?: "two-sided" | "greater" | "less";
  /** Absolute difference `t − c` or relative lift `t / c − 1` (delta method); default "relative". */
  difference?: "absolute" | "relative";
  /** Fixed-horizon Welch t-test, sequential (always-valid) test, or Bayesian; default "welch". */
  method?: "welch" | "sequential" | "bayesian";
  /** Sequential only: the total sample size (both arms) the interval is tightest at; default 5000. */
  sequentialTuning?: number;
};

/** The comparison of a treatment with a control: treatment − control (absolute) or lift (relative). */
export type Comparison = {
  /** The estimated effect. */
  estimate: number;
  /** Its standard error. */
  standardError: number;
  /** Confidence (frequentist) or credible (Bayesian) interval; one-sided tests have an infinite end. */
  ci: [number, number];
  /**
   * Frequentist p-value of the `alternative`; sequential: the always-valid `min(1, 1/E)` for the
   * mixture e-value E at the ρ of the configured `alpha` (one-sided: `min(1, 1/(2E))`, or 1 when
   * the estimate is on the other side).
   */
  pValue?: number;
  /** Welch–Satterthwaite degrees of freedom (Welch method). */
  degreesOfFreedom?: number;
  /** Bayesian: posterior probability that the treatment is better (greater, or less for "less"). */
  chanceToWin?: number;
  /** Bayesian: expected loss of choosing [control, treatment], in the units of `estimate`. */
  risk?: [number, number];
  /** Additive: why the data cannot support a comparison (too few observations, no variance, ...). */
  degenerate?: string;
};

/** Defaults of {@link CompareOptions}. */
export const COMPARE_DEFAULTS = {
  alpha: 0.05,
  alternative: "two-sided",
  difference: "relative",
  method: "welch",
  sequentialTuning: 5000,
} as const;

interface Arm {
  n: number;
  mean: number;
  variance: number;
}

interface Effect {
  estimate: number;
  /** Variance contributed by the treatment arm and by the control arm. */
  treatmentPart: number;
  controlPart: number;
}

/**
 * Compares the mean of a numeric metric between a control and a treatment version: Welch's t-test
 * with Welch–Satterthwaite degrees of freedom, an asymptotic confidence sequence, or a Bayesian
 * posterior with a flat prior (see {@link CompareOptions}). Degenerate input (fewer than 2
 * observations in a version, no variance, a control mean of 0 for a relative lift) returns a
 * result with `degenerate` set, an unbounded interval and a p-value of 1, never NaN.
 */
export function compareMeans(
  control: MeanSummary,
  treatment: MeanSummary,
  opts: CompareOptions = {},
): Comparison {
  checkMeanSummary("control", control);
  checkMeanSummary("treatment", treatment);
  return compareArms(meanArm(control), meanArm(treatment), opts);
}

/**
 * Compares a proportion (conversion rate, error rate) between a control and a treatment version,
 * with variance p(1 − p) per observation and otherwise exactly as {@link compareMeans}.
 */
export function compareProportions(
  control: ProportionSummary,
  treatment: ProportionSummary,
  opts: CompareOptions = {},
): Comparison {
  checkProportionSummary("control", control);
  checkProportionSummary("treatment", treatment);
  return compareArms(proportionArm(control), proportionArm(treatment), opts);
}

function meanArm({ count, sum, sumSquares }: MeanSummary): Arm {
  const mean = count > 0 ? sum / count : 0;
  // Sample variance; clamped at 0 against rounding in sumSquares − n·mean².
  const variance = count > 1 ? Math.max(0, (sumSquares - count * mean * mean) / (count - 1)) : 0;
  return { n: count, mean, variance };
}

function proportionArm({ count, successes }: ProportionSummary): Arm {
  const p = count > 0 ? successes / count : 0;
  return { n: count, mean: p, variance: p * (1 - p) };
}

function compareArms(control: Arm, treatment: Arm, opts: CompareOptions): Comparison {
  const alpha = opts.alpha ?? COMPARE_DEFAULTS.alpha;
  const alternative = opts.alternative ?? COMPARE_DEFAULTS.alternative;
  const difference = opts.difference ?? COMPARE_DEFAULTS.difference;
  const method = opts.method ?? COMPARE_DEFAULTS.method;
  const tuning = opts.sequentialTuning ?? COMPARE_DEFAULTS.sequentialTuning;
  if (
    !(alpha > 0 && alpha < 1) ||
    (method === "sequential" && alternative !== "two-sided" && alpha >= 0.5)
  ) {
    throw new SloError(
      SLO_ERROR_CODES.statsInvalid,
      `alpha: expected a number in (0, 1), got ${alpha}`,
    );
  }
  if (!(Number.isFinite(tuning) && tuning > 0)) {
    throw new SloError(
      SLO_ERROR_CODES.statsInvalid,
      `sequentialTuning: expected a number > 0, got ${tuning}`,
    );
  }

  if (control.n < 2 || treatment.n < 2) {
    const which = control.n < 2 ? "control" : "treatment";
    const n = Math.min(control.n, treatment.n);
    return degenerate(
      rawEstimate(control, treatment, difference),
      method,
      `${which} has ${n} observation${n === 1 ? "" : "s"}; need at least 2`,
    );
  }
  if (difference === "relative" && control.mean === 0) {
    return degenerate(0, method, "control mean is 0, so a relative lift is undefined");
  }
  const effect = measureEffect(control, treatment, difference);
  const variance = effect.treatmentPart + effect.controlPart;
  if (!(variance > 0)) {
    return degenerate(effect.estimate, method, "no variance in either version");
  }
  const se = Math.sqrt(variance);

  switch (method) {
    case "welch":
      return welch(effect, se, control, treatment, alpha, alternative);
    case "sequential":
      return sequential(effect.estimate, se, control.n + treatment.n, alpha, alternative, tuning);
    case "bayesian":
      return bayesian(effect.estimate, se, alpha, alternative);
  }
}

function rawEstimate(control: Arm, treatment: Arm, difference: "absolute" | "relative"): number {
  if (control.n === 0 || treatment.n === 0) return 0;
  if (difference === "absolute") return treatment.mean - control.mean;
  return control.mean === 0 ? 0 : treatment.mean / control.mean - 1;
}

function measureEffect(control: Arm, treatment: Arm, difference: "absolute" | "relative"): Effect {
  if (difference === "absolute") {
    return {
      estimate: treatment.mean - control.mean,
      treatmentPart: treatment.variance / treatment.n,
      controlPart: control.variance / control.n,
    };
  }
  // Delta method for the ratio of two independent means (GrowthBook's relative lift).
  const mc = control.mean;
  const mt = treatment.mean;
  return {
    estimate: mt / mc - 1,
    treatmentPart: treatment.variance / (treatment.n * mc * mc),
    controlPart: (control.variance * mt * mt) / (control.n * mc ** 4),
  };
}

function welch(
  effect: Effect,
  se: number,
  control: Arm,
  treatment: Arm,
  alpha: number,
  alternative: "two-sided" | "greater" | "less",
): Comparison {
  const { treatmentPart: a, controlPart: b, estimate } = effect;
  const df = (a + b) ** 2 / ((a * a) / (treatment.n - 1) + (b * b) / (control.n - 1));
  const t = estimate / se;
  if (alternative === "two-sided") {
    const q = tQuantile(1 - alpha / 2, df);
    return {
      estimate,
      standardError: se,
      ci: [estimate - q * se, estimate + q * se],
      pValue: Math.min(1, 2 * tCdf(-Math.abs(t), df)),
      degreesOfFreedom: df,
    };
  }
  const q = tQuantile(1 - alpha, df);
  return alternative === "greater"
    ? {
        estimate,
        standardError: se,
        ci: [estimate - q * se, Number.POSITIVE_INFINITY],
        pValue: tCdf(-t, df),
        degreesOfFreedom: df,
      }
    : {
        estimate,
        standardError: se,
        ci: [Number.NEGATIVE_INFINITY, estimate + q * se],
        pValue: tCdf(t, df),
        degreesOfFreedom: df,
      };
}

/**
 * ρ² of the mixture that makes the asymptotic confidence sequence (Waudby-Smith et al.,
 * "Time-uniform central limit theory and asymptotic confidence sequences", 2023, eq. 161) tightest
 * at `tuning` observations (both arms) for level `alpha`, as GrowthBook's `sequential_rho` does.
 */
function sequentialRho2(alpha: number, tuning: number): number {
  const logTerm = -2 * Math.log(alpha);
  return (logTerm + Math.log(logTerm + 1)) / tuning;
}

/** Half-width of the confidence sequence at level `alpha` for `n` observations and mixture ρ². */
function sequentialHalfWidth(se: number, n: number, alpha: number, rho2: number): number {
  const sigma = se * Math.sqrt(n);
  const nr = n * rho2;
  return sigma * Math.sqrt(((2 * (nr + 1)) / (n * nr)) * Math.log(Math.sqrt(nr + 1) / alpha));
}

/**
 * ln E of the normal-mixture e-value against "no effect" (eq. 155 of the paper above, as
 * GrowthBook's `SequentialTwoSidedTTest.p_value` reparameterises it):
 * E = exp(ρ² S / (2 (Nρ² + 1))) / sqrt(Nρ² + 1), with S = estimate² N / SE². The confidence
 * sequence at level a with the same ρ excludes 0 exactly when E ≥ 1/a.
 */
function logMixtureEValue(estimate: number, se: number, n: number, rho2: number): number {
  const s = (estimate * estimate * n) / (se * se);
  const tr2p1 = n * rho2 + 1;
  return (rho2 * s) / (2 * tr2p1) - 0.5 * Math.log(tr2p1);
}

function sequential(
  estimate: number,
  se: number,
  n: number,
  alpha: number,
  alternative: "two-sided" | "greater" | "less",
  tuning: number,
): Comparison {
  // A one-sided bound at level α is one end of the two-sided sequence at level 2α.
  const sided = alternative === "two-sided" ? 1 : 2;
  const level = alpha * sided;
  // ρ is fixed by the configured α: the interval and the p-value come from the same sequence.
  const rho2 = sequentialRho2(level, tuning);
  const half = sequentialHalfWidth(se, n, level, rho2);
  const ci: [number, number] =
    alternative === "greater"
      ? [estimate - half, Number.POSITIVE_INFINITY]
      : alternative === "less"
        ? [Number.NEGATIVE_INFINITY, estimate + half]
        : [estimate - half, estimate + half];
  // Always-valid p = min(1, 1/E) (two-sided); one-sided, the end of the 2α sequence excludes 0
  // when E ≥ 1/(2α), so p = min(1, 1/(2E)) when the estimate lies on the alternative's side, else 1.
  const logE = logMixtureEValue(estimate, se, n, rho2);
  const onSide =
    alternative === "two-sided" || (alternative === "greater" ? estimate > 0 : estimate < 0);
  const pValue = onSide ? Math.exp(Math.min(0, -logE - Math.log(sided))) : 1;
  return { estimate, standardError: se, ci, pValue };
}

function bayesian(
  estimate: number,
  se: number,
  alpha: number,
  alternative: "two-sided" | "greater" | "less",
): Comparison {
  // Flat prior on the effect: the posterior is Normal(estimate, se²).
  const z = normalQuantile(1 - alpha / 2);
  const gain = alternative === "less" ? -estimate : estimate;
  const chanceToWin = normalCdf(gain / se);
  const density = se * normalPdf(gain / se);
  // Expected loss: E[max(gain, 0)] if we keep the control, E[max(−gain, 0)] if we ship the treatment.
  const riskControl = gain * chanceToWin + density;
  const riskTreatment = -gain * (1 - chanceToWin) + density;
  return {
    estimate,
    standardError: se,
    ci: [estimate - z * se, estimate + z * se],
    chanceToWin,
    risk: [Math.max(0, riskControl), Math.max(0, riskTreatment)],
  };
}

function degenerate(
  estimate: number,
  method: "welch" | "sequential" | "bayesian",
  reason: string,
): Comparison {
  const base: Comparison = {
    estimate: Number.isFinite(estimate) ? estimate : 0,
    standardError: 0,
    ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    degenerate: reason,
  };
  return method === "bayesian" ? { ...base, chanceToWin: 0.5 } : { ...base, pValue: 1 };
}

function checkMeanSummary(name: string, s: MeanSummary): void {
  if (!(
    Number.isFinite(s.count) &&
    s.count >= 0 &&
    Number.isFinite(s.sum) &&
    Number.isFinite(s.sumSquares) &&
    s.sumSquares >= 0
  )) {
    throw new SloError(
      SLO_ERROR_CODES.statsInvalid,
      `${name}: expected count >= 0 and finite sum and sumSquares >= 0, got ${JSON.stringify(s)}`,
    );
  }
}

function checkProportionSummary(name: string, s: ProportionSummary): void {
  if (!(Number.isFinite(s.count) && s.count >= 0 && s.successes >= 0 && s.successes <= s.count)) {
    throw new SloError(
      SLO_ERROR_CODES.statsInvalid,
      `${name}: expected 0 <= successes <= count, got ${JSON.stringify(s)}`,
    );
  }
}
