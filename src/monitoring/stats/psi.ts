/**
 * Population stability index: sum over bins of (a - e) ln(a / e) with e the
 * baseline's and a the live proportion in each bin.
 *
 * Proportions are floored at PSI_MIN_PROPORTION before the sum, because an
 * empty bin on either side makes ln(a / e) infinite. 1e-4 is below the
 * resolution of any judged window (min_samples is 500, so one row is at
 * least 2e-3), which keeps the floor from hiding a real share, and it caps
 * what one stray row can add: a single live row in an empty baseline bin of
 * a 500-row window adds (0.002 - 0.0001) ln(20) ~ 0.006, far below the 0.2
 * drift threshold. Floored proportions are not renormalised (the usual
 * practice; the excess is at most bins * 1e-4).
 */
export const PSI_MIN_PROPORTION = 1e-4;

/** PSI between two count (or proportion) vectors over the same bins; NaN when either is empty. */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, minProportion = PSI_MIN_PROPORTION): number {
  if (expected.length !== actual.length) throw new RangeError(`${expected.length} expected and ${actual.length} actual bins`);
  const te = total(expected);
  const ta = total(actual);
  if (!(te > 0) || !(ta > 0)) return NaN;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / te, minProportion);
    const a = Math.max(actual[i] / ta, minProportion);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** A live histogram on a baseline's edges (see sketch/bins.ts for the convention). */
export interface LiveBinCounts {
  /** Values below the first baseline edge. */
  underflow: number;
  /** One count per baseline bin. */
  counts: ArrayLike<number>;
  /** Values above the last baseline edge. */
  overflow: number;
}

/**
 * PSI of a live histogram against the baseline's bin counts. The baseline
 * holds nothing outside its own edges, so its under- and overflow buckets
 * are empty (floored like any empty bin) and live values beyond the training
 * range count fully as drift.
 */
export function psiOnBaselineBins(baselineCounts: ArrayLike<number>, live: LiveBinCounts, minProportion = PSI_MIN_PROPORTION): number {
  if (live.counts.length !== baselineCounts.length) {
    throw new RangeError(`${live.counts.length} live bins for ${baselineCounts.length} baseline bins`);
  }
  const expected = [0, ...Array.from(baselineCounts), 0];
  const actual = [live.underflow, ...Array.from(live.counts), live.overflow];
  return psi(expected, actual, minProportion);
}

function total(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}
