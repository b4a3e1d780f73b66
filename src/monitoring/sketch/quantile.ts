/**
 * Quantiles exactly as numpy's `np.quantile(x, q)` computes them with its
 * default `method="linear"` (Hyndman & Fan type 7), down to the last bit:
 * bin edges are compared with `<`, so an edge one ulp away from numpy's would
 * move a tied value into the neighbouring bin and break agreement with the
 * reference implementation.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile level ${q} is outside [0, 1]`);
  const virtualIndex = (n - 1) * q;
  // numpy clamps at the top: an index at or past the last element takes it whole.
  if (virtualIndex >= n - 1) return sorted[n - 1];
  const previous = Math.floor(virtualIndex);
  const gamma = virtualIndex - previous;
  const a = sorted[previous];
  const b = sorted[previous + 1];
  const diff = b - a;
  // numpy's `_lerp` interpolates from the nearer end, which keeps the result
  // inside [a, b] when rounding would otherwise overshoot.
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * `np.linspace(0, 1, count + 1)`: numpy multiplies by the step rather than
 * dividing (3 * 0.1 is 0.30000000000000004, not 0.3) and pins the last level
 * to exactly 1; both matter for bit-exact bin edges.
 */
export function evenLevels(count: number): number[] {
  const step = 1 / count;
  const levels = Array.from({ length: count + 1 }, (_, i) => i * step);
  levels[count] = 1;
  return levels;
}

/** Copy of the non-NaN values, sorted ascending. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) count++;
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) out[j++] = v;
  }
  return out.sort();
}
