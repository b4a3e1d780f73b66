import { gammaQ, logGamma } from './gamma.js';

/**
 * The normal and Student t tails and quantiles DeLong's test needs. The t
 * tail goes through the regularized incomplete beta function, evaluated by
 * its continued fraction (modified Lentz), which converges to double
 * precision for the degrees of freedom a comparison of two variants has.
 */

/** P(Z > z) for a standard normal: erfc(z / sqrt 2) / 2, as Q(1/2, z^2/2) / 2 on the upper side. */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const upper = 0.5 * gammaQ(0.5, (z * z) / 2);
  return z >= 0 ? upper : 1 - upper;
}

/** I_x(a, b), the regularized incomplete beta function. */
export function betaInc(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** P(T > t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(df)) return normalSf(t);
  const tail = 0.5 * betaInc(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** The quantile q of a distribution given its survival function, by bisection (monotone, to double precision). */
function quantileOf(sf: (x: number) => number, q: number): number {
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (1 - sf(mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function normalQuantile(q: number): number {
  return quantileOf(normalSf, q);
}

export function studentTQuantile(q: number, df: number): number {
  return quantileOf((x) => studentTSf(x, df), q);
}
