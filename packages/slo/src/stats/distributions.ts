// The distribution functions the statistics need: Student's t (CDF and quantile), chi-square (CDF
// and survival) and the standard normal (CDF, quantile, density). Written here on the special
// functions in special-functions.ts; tests check them against SciPy/mpmath values, closed forms and
// the @stdlib functions they replaced (test/fixtures/*.json), to 1e-10 relative or better.
import { logBeta, regularizedBeta, regularizedGamma } from "./special-functions.js";

/**
 * From this many degrees of freedom on, the t tails come from the large-ν form below: the incomplete
 * beta function's continued fraction loses digits as ν grows (about 1e-9 relative at ν = 1e8, 1e-5
 * at 1e12), while the large-ν form's error falls as 1/ν² (about 1e-9 at ν = 1e7, checked against
 * mpmath at |t| ≤ 50).
 */
const LARGE_DF = 1e8;

/** Both tails of Student's t at |t|: the lower one, P(T ≤ −|t|), is computed directly. */
function tTails(t: number, df: number): { below: number; above: number } {
  if (df >= LARGE_DF) {
    // I_x(a, ½) ≈ Q(½, ω) with ω = −(a − ¼) ln x for large a (Temme's uniform expansion, first term).
    const omega = (df / 2 - 0.25) * Math.log1p((t / df) * t);
    const { lower, upper } = regularizedGamma(0.5, omega);
    return { below: upper / 2, above: 0.5 + lower / 2 };
  }
  const t2 = t * t;
  // x = ν / (ν + t²) and y = t² / (ν + t²), each from the ratio that cannot overflow.
  let x: number;
  let y: number;
  if (t2 > df) {
    const r = df / Math.abs(t) / Math.abs(t);
    if (r < 1e-200) {
      // So far out that x = ν/(ν + t²) would underflow: the tail's power law, exact to O(x).
      const below = Math.exp(
        (df / 2) * (Math.log(df) - 2 * Math.log(Math.abs(t))) - Math.log(df) - logBeta(df / 2, 0.5),
      );
      return { below, above: 1 - below };
    }
    x = r / (1 + r);
    y = 1 / (1 + r);
  } else {
    const q = t2 / df;
    x = 1 / (1 + q);
    y = q / (1 + q);
  }
  const { lower, upper } = regularizedBeta(df / 2, 0.5, x, y);
  // P(T ≤ −|t|) = I_x(ν/2, ½) / 2; P(T > −|t|) = ½ + I_y(½, ν/2) / 2.
  return { below: lower / 2, above: 0.5 + upper / 2 };
}

/** P(T <= x) for Student's t with `df` degrees of freedom (any df > 0; df = Infinity is the normal). */
export function tCdf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalCdf(x);
  if (x === Number.NEGATIVE_INFINITY) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === 0) return 0.5;
  const { below, above } = tTails(x, df);
  return x < 0 ? below : above;
}

/** ln of Student's t density at u. */
function tLogDensity(u: number, df: number): number {
  return -((df + 1) / 2) * Math.log1p((u / df) * u) - 0.5 * Math.log(df) - logBeta(df / 2, 0.5);
}

/** Step bound for the log-space Newton iteration (a factor e⁴ in the quantile per step). */
const MAX_LOG_STEP = 4;

/**
 * The u > 0 with P(T ≤ −u) = s, for 0 < s < ½: Newton's method on ln P(T ≤ −e^v) − ln s in
 * v = ln u (nearly linear there: the tail falls like u^−ν), kept inside a bracket that bisection
 * takes over when a step would leave it. Starts from the better of a Cornish–Fisher expansion of
 * the normal quantile and the tail's power law.
 */
function tLowerTailInverse(s: number, df: number): number {
  const lnS = Math.log(s);
  const g = (v: number): number => Math.log(tTails(-Math.exp(v), df).below) - lnS;

  const z = normalQuantile(s);
  const z2 = z * z;
  const cornishFisher = -(
    z +
    (z * (z2 + 1)) / (4 * df) +
    (z * ((5 * z2 + 16) * z2 + 3)) / (96 * df * df) +
    (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / (384 * df * df * df)
  );
  // P(T ≤ −u) ≈ (ν/u²)^(ν/2) / (ν B(ν/2, ½)) for large u.
  const powerLaw = Math.sqrt(df) * Math.exp(-(lnS + Math.log(df) + logBeta(df / 2, 0.5)) / df);
  let v = Number.NaN;
  let gv = Number.POSITIVE_INFINITY;
  for (const start of [cornishFisher, powerLaw]) {
    if (!(start > 0 && Number.isFinite(start))) continue;
    const candidate = Math.log(start);
    const value = g(candidate);
    if (Math.abs(value) < Math.abs(gv)) {
      v = candidate;
      gv = value;
    }
  }
  if (Number.isNaN(v)) v = 0;

  // g decreases in v: g > 0 means u is too small.
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 200; i++) {
    gv = g(v);
    if (gv === 0 || Number.isNaN(gv)) break;
    if (gv > 0) low = v;
    else high = v;
    const u = Math.exp(v);
    const tail = tTails(-u, df).below;
    // d/dv ln P(T ≤ −e^v) = −u f(u) / P(T ≤ −u).
    const slope = -(u * Math.exp(tLogDensity(u, df))) / tail;
    let next = v - gv / slope;
    if (!Number.isFinite(next)) next = v + (gv > 0 ? MAX_LOG_STEP : -MAX_LOG_STEP);
    next = Math.min(v + MAX_LOG_STEP, Math.max(v - MAX_LOG_STEP, next));
    if (next <= low || next >= high) {
      if (Number.isFinite(low) && Number.isFinite(high)) next = (low + high) / 2;
      else next = gv > 0 ? v + MAX_LOG_STEP : v - MAX_LOG_STEP;
    }
    const step = next - v;
    v = next;
    if (Math.abs(step) <= 1e-13 * Math.max(1, Math.abs(v))) break;
  }
  return Math.exp(v);
}

/** The `p`-quantile of Student's t with `df` degrees of freedom (any df > 0). */
export function tQuantile(p: number, df: number): number {
  if (!(p >= 0 && p <= 1) || !(df > 0)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  // 1 − p is exact for p ≥ ½, so the upper tail is the mirrored lower one.
  const s = p < 0.5 ? p : 1 - p;
  const sign = p < 0.5 ? -1 : 1;
  if (df === 1) return sign / Math.tan(Math.PI * s); // Cauchy: −cot(π p)
  if (df === 2) return sign * Math.sqrt(((1 - 2 * s) * (1 - 2 * s)) / (2 * s * (1 - s)));
  return sign * tLowerTailInverse(s, df);
}

/** P(X <= x) for chi-square with `df` degrees of freedom. */
export function chiSquareCdf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return Number.NaN;
  if (x <= 0) return 0;
  return regularizedGamma(df / 2, x / 2).lower;
}

/** P(X > x) for chi-square with `df` degrees of freedom (the upper tail, as a p-value). */
export function chiSquareSurvival(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return Number.NaN;
  if (x <= 0) return 1;
  return regularizedGamma(df / 2, x / 2).upper;
}

/**
 * P(Z <= x) for the standard normal: erfc(|x|/√2) / 2 = Q(½, x²/2) / 2 by the incomplete gamma
 * function, so the lower tail keeps full relative precision down to x ≈ −38.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === 0) return 0.5;
  const { lower, upper } = regularizedGamma(0.5, (x * x) / 2);
  return x < 0 ? upper / 2 : 0.5 + lower / 2;
}

/**
 * The `p`-quantile of the standard normal: Wichura's algorithm AS 241 (PPND16, Applied Statistics
 * 37(3), 1988, 477–484), accurate to about 1 part in 10¹⁶.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q * rational(r, AS241_CENTRAL_NUMERATOR, AS241_CENTRAL_DENOMINATOR);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = rational(r, AS241_INTERMEDIATE_NUMERATOR, AS241_INTERMEDIATE_DENOMINATOR);
  } else {
    r -= 5;
    x = rational(r, AS241_TAIL_NUMERATOR, AS241_TAIL_DENOMINATOR);
  }
  return q < 0 ? -x : x;
}

/** The standard normal density at `x`. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** p(r) / q(r) for polynomials given by their coefficients, constant term first (Horner). */
function rational(r: number, numerator: readonly number[], denominator: readonly number[]): number {
  let num = 0;
  for (let i = numerator.length - 1; i >= 0; i--) num = num * r + (numerator[i] ?? 0);
  let den = 0;
  for (let i = denominator.length - 1; i >= 0; i--) den = den * r + (denominator[i] ?? 0);
  return num / den;
}

// AS 241's coefficients, constant term first: the published 20 digits, as the doubles they round
// to. The paper gives a check sum for each set (the sum of the 15 coefficients' mantissas, the
// denominator's leading 1 left out); a test checks the transcription against them.
/** AS 241, |p − ½| ≤ 0.425: numerator (A0..A7). */
export const AS241_CENTRAL_NUMERATOR = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
  67265.7709270087, 33430.57558358813, 2509.0809287301227,
] as const;
/** AS 241, |p − ½| ≤ 0.425: denominator (1, B1..B7). */
export const AS241_CENTRAL_DENOMINATOR = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
  28729.085735721943, 5226.495278852854,
] as const;
/** AS 241, r = √(−ln min(p, 1 − p)) ≤ 5: numerator (C0..C7), in r − 1.6. */
export const AS241_INTERMEDIATE_NUMERATOR = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
  0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
] as const;
/** AS 241, r ≤ 5: denominator (1, D1..D7). */
export const AS241_INTERMEDIATE_DENOMINATOR = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008,
  0.015198666563616457, 0.0005475938084995345, 1.0507500716444169e-9,
] as const;
/** AS 241, r > 5: numerator (E0..E7), in r − 5. */
export const AS241_TAIL_NUMERATOR = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487,
  0.026532189526576124, 0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7,
] as const;
/** AS 241, r > 5: denominator (1, F1..F7). */
export const AS241_TAIL_DENOMINATOR = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
  0.000018463183175100548, 1.421511758316446e-7, 2.0442631033899397e-15,
] as const;
