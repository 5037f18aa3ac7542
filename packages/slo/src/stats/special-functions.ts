// The special functions behind the t, chi-square and normal distributions: log-gamma, log-beta and
// the regularized incomplete beta and gamma functions, in double precision. Both tails of an
// incomplete function come back together, each computed on the side where it is accurate, so that
// a p-value of 1e-200 keeps its digits instead of becoming 1 - (1 - 1e-200).

/** ln √(2π). */
const LN_SQRT_2PI = 0.9189385332046728;
/** Relative size of a continued-fraction or series step at which we stop. */
const EPSILON = 1e-16;
/** Guards the modified Lentz algorithm against a division by zero. */
const TINY = 1e-300;

/** Both tails of a regularized incomplete function: `lower + upper = 1`. */
export interface Tails {
  lower: number;
  upper: number;
}

/**
 * ln Γ(x) − [(x − ½) ln x − x + ln √(2π)] for x ≥ 10: Stirling's series to the x⁻¹⁵ term (the next
 * term is below 2e-18 at x = 10).
 */
function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 *
        (-1 / 360 +
          r2 *
            (1 / 1260 +
              r2 *
                (-1 / 1680 +
                  r2 *
                    (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156 + r2 * (-3617 / 122400))))))))
  );
}

/** ln Γ(x) for x > 0 (Stirling's series, after shifting x up to 10 or more by the recurrence). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingCorrection(x);
  // Γ(x) = Γ(x + n) / (x (x + 1) ... (x + n − 1)); at most 10 factors, so the product cannot overflow.
  let product = 1;
  let shifted = x;
  while (shifted < 10) {
    product *= shifted;
    shifted += 1;
  }
  return logGamma(shifted) - Math.log(product);
}

/**
 * ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). When a parameter is large, the large terms of the
 * three log-gammas are cancelled by hand (with log1p) instead of in floating point, so B(5e7, ½)
 * keeps its digits.
 */
export function logBeta(a: number, b: number): number {
  if (!(a > 0 && b > 0)) return Number.NaN;
  const large = Math.max(a, b);
  const small = Math.min(a, b);
  if (small >= 10) {
    const sum = a + b;
    return (
      LN_SQRT_2PI -
      (a - 0.5) * Math.log1p(b / a) -
      (b - 0.5) * Math.log1p(a / b) -
      0.5 * Math.log(sum) +
      stirlingCorrection(a) +
      stirlingCorrection(b) -
      stirlingCorrection(sum)
    );
  }
  if (large >= 10) {
    // ln Γ(large) − ln Γ(large + small), both by Stirling, with the big terms cancelled.
    const sum = large + small;
    const ratio =
      -(large - 0.5) * Math.log1p(small / large) -
      small * Math.log(sum) +
      small +
      stirlingCorrection(large) -
      stirlingCorrection(sum);
    return logGamma(small) + ratio;
  }
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** A generous bound on continued-fraction and series terms: they need O(√parameter) terms. */
function maxTerms(parameter: number): number {
  return 1000 + Math.ceil(50 * Math.sqrt(parameter));
}

/**
 * The continued fraction for I_x(a, b) (Numerical Recipes' betacf, evaluated by the modified Lentz
 * method); it converges quickly for x < (a + 1) / (a + b + 2).
 */
function betaContinuedFraction(a: number, b: number, x: number, y: number): number {
  const sum = a + b;
  let c = 1;
  // 1 − (a + b) x / (a + 1), from y when x is near 1 (where the subtraction would cancel).
  let d = x < 0.5 ? 1 - (sum * x) / (a + 1) : (1 - b + sum * y) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  const limit = maxTerms(Math.max(a, b));
  for (let m = 1; m <= limit; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (sum + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) <= EPSILON) break;
  }
  return h;
}

/**
 * The regularized incomplete beta function I_x(a, b) and its complement, for 0 ≤ x ≤ 1. `y` is
 * 1 − x, passed separately so that a caller who knows it more precisely than `1 - x` keeps those
 * digits (x = ν / (ν + t²) and y = t² / (ν + t²) for the t distribution).
 */
export function regularizedBeta(a: number, b: number, x: number, y: number = 1 - x): Tails {
  if (!(a > 0 && b > 0 && x >= 0 && y >= 0)) return { lower: Number.NaN, upper: Number.NaN };
  if (x === 0) return { lower: 0, upper: 1 };
  if (y === 0) return { lower: 1, upper: 0 };
  const lnX = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const lnY = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  // x^a y^b / B(a, b), the factor in front of the continued fraction.
  const front = Math.exp(a * lnX + b * lnY - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) {
    const lower = (front * betaContinuedFraction(a, b, x, y)) / a;
    return { lower, upper: 1 - lower };
  }
  const upper = (front * betaContinuedFraction(b, a, y, x)) / b;
  return { lower: 1 - upper, upper };
}

/**
 * ln(x^a e^−x / Γ(a)), the factor in front of the incomplete gamma series and continued fraction.
 * For large a, written as a (ln(x/a) − (x − a)/a) + … so that the large terms cancel exactly.
 */
function logGammaFront(a: number, x: number): number {
  if (a < 10) return a * Math.log(x) - x - logGamma(a);
  const d = (x - a) / a;
  // ln(x/a) − d: by log1p near x = a (where the two cancel), by the plain log far from it.
  const core = Math.abs(d) < 0.5 ? Math.log1p(d) - d : Math.log(x / a) - d;
  return a * core + 0.5 * Math.log(a) - LN_SQRT_2PI - stirlingCorrection(a);
}

/**
 * The regularized incomplete gamma functions P(a, x) (`lower`) and Q(a, x) (`upper`) for x ≥ 0:
 * the power series where x < a + 1, the Legendre continued fraction (modified Lentz) elsewhere.
 */
export function regularizedGamma(a: number, x: number): Tails {
  if (!(a > 0 && x >= 0)) return { lower: Number.NaN, upper: Number.NaN };
  if (x === 0) return { lower: 0, upper: 1 };
  if (x === Number.POSITIVE_INFINITY) return { lower: 1, upper: 0 };
  const front = Math.exp(logGammaFront(a, x));
  const limit = maxTerms(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n <= limit; n++) {
      term *= x / (a + n);
      sum += term;
      if (term <= sum * EPSILON) break;
    }
    const lower = front * sum;
    return { lower, upper: 1 - lower };
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= limit; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) <= EPSILON) break;
  }
  const upper = front * h;
  return { lower: 1 - upper, upper };
}
