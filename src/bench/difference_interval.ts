/**
 * The 95 % interval of a difference of two means from their samples
 * (Welch's: unequal variances, Welch–Satterthwaite degrees of freedom), and
 * whether it is decided: the interval excludes 0.
 */
import { meanStd } from "./error_summary.ts";

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) {
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t +
    Math.log(sum);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) +
      b * Math.log(1 - x),
  );
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(a, b, x)) / a
    : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The `p` quantile of Student's t with `df` degrees of freedom (bisection). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) {
    throw new Error(`a t quantile needs 0 < p < 1 and df > 0, got ${p}, ${df}`);
  }
  let low = -1e3;
  let high = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** A difference of means with its interval. */
export interface DifferenceInterval {
  /** mean(a) − mean(b). */
  difference: number;
  /** The interval's ends. */
  low: number;
  high: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Whether the interval excludes 0. */
  decided: boolean;
}

/**
 * Welch's `level` interval (default 95 %) of mean(a) − mean(b); each sample
 * needs two values at least.
 */
export function welchInterval(
  a: number[],
  b: number[],
  level = 0.95,
): DifferenceInterval {
  if (a.length < 2 || b.length < 2) {
    throw new Error(
      `a difference interval needs two values a side, got ${a.length} and ${b.length}`,
    );
  }
  const x = meanStd(a);
  const y = meanStd(b);
  const va = x.std ** 2 / a.length;
  const vb = y.std ** 2 / b.length;
  const difference = x.mean - y.mean;
  const se = Math.sqrt(va + vb);
  if (se === 0) {
    return {
      difference,
      low: difference,
      high: difference,
      df: a.length + b.length - 2,
      decided: difference !== 0,
    };
  }
  const df = (va + vb) ** 2 /
    (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const half = studentTQuantile(1 - (1 - level) / 2, df) * se;
  const low = difference - half;
  const high = difference + half;
  return { difference, low, high, df, decided: low > 0 || high < 0 };
}
