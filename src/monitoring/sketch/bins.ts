import { evenLevels, quantileSorted } from './quantile.js';

/**
 * The bin convention shared by the baseline sketch and the live sketches
 * compared against it. With `edges` of length b + 1 (b bins):
 *
 * - bin i (0 <= i < b) holds edges[i] <= v < edges[i + 1], and the last bin
 *   also holds v === edges[b] (numpy's `histogram` convention, so reference
 *   counts come straight from `np.histogram(x, edges)`);
 * - `UNDERFLOW` (-1) is any v < edges[0];
 * - `overflowBin(edges)` (= b) is any v > edges[b].
 *
 * A baseline's own values never under- or overflow (its first and last
 * edges are its minimum and maximum); live values outside the training
 * range do, and PSI counts those buckets as drift. NaN is a missing value,
 * counted apart by every sketch, and must not be passed here.
 */
export const UNDERFLOW = -1;

export function overflowBin(edges: ArrayLike<number>): number {
  return edges.length - 1;
}

export function binIndex(edges: ArrayLike<number>, value: number): number {
  const last = edges.length - 1;
  if (value < edges[0]) return UNDERFLOW;
  if (value >= edges[last]) return value === edges[last] ? last - 1 : last;
  // Largest i with edges[i] <= value; edges are strictly increasing.
  let lo = 0;
  let hi = last - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (edges[mid] <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Edges of `bins` equal-frequency bins: numpy quantiles of the sorted
 * values at 0, 1/bins, ..., 1, with repeats dropped. A heavily tied feature
 * (a flag, a small integer code) repeats quantiles; keeping the repeats would
 * make empty zero-width bins, so it gets fewer bins instead. A constant
 * feature gets the single bin [v, nextUp(v)]: it holds exactly v, and any
 * other live value falls outside it, which is the drift it is.
 */
export function quantileEdges(sorted: ArrayLike<number>, bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, not ${bins}`);
  const edges: number[] = [];
  for (const q of evenLevels(bins)) {
    const e = quantileSorted(sorted, q);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  if (edges.length === 1) edges.push(nextUp(edges[0]));
  return edges;
}

/** Counts per bin of sorted in-range values (all of a baseline's values are in range). */
export function binCounts(edges: ArrayLike<number>, values: ArrayLike<number>): { counts: number[]; underflow: number; overflow: number } {
  const counts = new Array<number>(edges.length - 1).fill(0);
  let underflow = 0;
  let overflow = 0;
  const over = overflowBin(edges);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    const b = binIndex(edges, v);
    if (b === UNDERFLOW) underflow++;
    else if (b === over) overflow++;
    else counts[b]++;
  }
  return { counts, underflow, overflow };
}

const scratch = new Float64Array(1);
const scratchBits = new BigInt64Array(scratch.buffer);

/** The smallest double greater than v (v finite). */
export function nextUp(v: number): number {
  if (v === 0) return Number.MIN_VALUE;
  scratch[0] = v;
  scratchBits[0] += v > 0 ? 1n : -1n;
  return scratch[0];
}
