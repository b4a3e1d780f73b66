/**
 * Jensen-Shannon distance (the square root of the divergence) between two
 * frequency or probability vectors, equal to
 * `scipy.spatial.distance.jensenshannon(p, q, base)`. Each vector is
 * normalised by its own sum first, so raw counts can be passed. With base 2
 * it lies in [0, 1]: 0 for equal distributions, 1 for disjoint supports.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new RangeError(`vectors of length ${p.length} and ${q.length}`);
  const sp = sum(p);
  const sq = sum(q);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    js += relEntr(pi, m) + relEntr(qi, m);
  }
  js /= Math.log(base);
  // Rounding can leave a hair below zero for identical inputs; the root of it would be NaN.
  return Math.sqrt(Math.max(js, 0) / 2);
}

/** scipy.special.rel_entr: x log(x / y), 0 at x = 0. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

function sum(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}
