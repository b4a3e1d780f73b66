/**
 * AUC and DeLong's variance from the scores of each class, either exact
 * (every labelled score) or from per-class histograms on common bins.
 * Both reduce to groups of tied scores in ascending order, each with its
 * positives and negatives: ties count one half, as scikit-learn's
 * roc_auc_score and pROC's mid-ranks do.
 */
export interface AucSummary {
  auc: number;
  positives: number;
  negatives: number;
  /** DeLong's variance of the AUC: var(placements of positives)/m + var(placements of negatives)/n; NaN below two of each. */
  variance: number;
  /** How far the AUC may be from the exact one (0 when computed from every score). */
  errorBound: number;
}

/** Groups of tied scores from both classes' scores (each sorted here in place). */
export function groupsOfScores(pos: Float64Array, neg: Float64Array): { p: Uint32Array; n: Uint32Array } {
  return groupsOfSorted(pos.sort(), neg.sort());
}

/** Groups of tied scores from both classes' scores, each already in ascending order. */
export function groupsOfSorted(pos: ArrayLike<number>, neg: ArrayLike<number>): { p: Uint32Array; n: Uint32Array } {
  const p = new Uint32Array(pos.length + neg.length);
  const n = new Uint32Array(pos.length + neg.length);
  let g = -1;
  let last = NaN;
  let i = 0;
  let j = 0;
  while (i < pos.length || j < neg.length) {
    const takePos = j >= neg.length || (i < pos.length && pos[i] <= neg[j]);
    const s = takePos ? pos[i] : neg[j];
    if (g < 0 || s !== last) {
      g++;
      last = s;
    }
    if (takePos) {
      p[g]++;
      i++;
    } else {
      n[g]++;
      j++;
    }
  }
  return { p: p.subarray(0, g + 1), n: n.subarray(0, g + 1) };
}

/** AUC and DeLong's variance over groups in ascending score order; `binned` marks groups that are histogram bins, not exact ties. */
export function aucOfGroups(p: ArrayLike<number>, n: ArrayLike<number>, binned = false): AucSummary {
  let P = 0;
  let N = 0;
  for (let g = 0; g < p.length; g++) {
    P += p[g];
    N += n[g];
  }
  if (P === 0 || N === 0) return { auc: NaN, positives: P, negatives: N, variance: NaN, errorBound: 0 };
  // Placement of a positive in group g: share of negatives below it, ties one half; of a negative: share of positives above it.
  let below = 0;
  let sum = 0;
  let within = 0;
  for (let g = 0; g < p.length; g++) {
    if (p[g] > 0) sum += p[g] * (below + n[g] / 2);
    within += p[g] * n[g];
    below += n[g];
  }
  const auc = sum / P / N;
  let varX = NaN;
  let varY = NaN;
  if (P >= 2 && N >= 2) {
    let sx = 0;
    let sy = 0;
    below = 0;
    let above = P;
    for (let g = 0; g < p.length; g++) {
      above -= p[g];
      if (p[g] > 0) sx += p[g] * ((below + n[g] / 2) / N - auc) ** 2;
      if (n[g] > 0) sy += n[g] * ((above + p[g] / 2) / P - auc) ** 2;
      below += n[g];
    }
    varX = sx / (P - 1);
    varY = sy / (N - 1);
  }
  return { auc, positives: P, negatives: N, variance: varX / P + varY / N, errorBound: binned ? within / 2 / P / N : 0 };
}
