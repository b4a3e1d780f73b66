/**
 * ROC AUC, exact, equal to `sklearn.metrics.roc_auc_score`: the probability
 * that a random positive scores above a random negative, ties counting one
 * half (sklearn's trapezoids over tied thresholds give exactly this). It is
 * computed as the Mann-Whitney U from mid-ranks, which is O(n log n) and
 * exact in doubles up to the final division (rank sums are multiples of 1/2).
 */

/**
 * Binary AUC. Labels are 1 (positive) or 0 (negative); a row whose label
 * or score is NaN is left out (a missing label is not yet known). NaN when
 * only one class is present, where sklearn raises: the AUC is undefined.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  if (labels.length !== scores.length) throw new RangeError(`${labels.length} labels for ${scores.length} scores`);
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (Number.isNaN(y) || Number.isNaN(scores[i])) continue;
    if (y !== 0 && y !== 1) throw new RangeError(`label ${y} at index ${i} is neither 0 nor 1`);
    idx.push(i);
  }
  return aucOf(
    idx.map((i) => scores[i]),
    idx.map((i) => labels[i] === 1),
  );
}

export interface MulticlassAuc {
  /** Unweighted mean of the defined per-class AUCs; NaN if none is defined. */
  auc: number;
  /** One-vs-rest AUC per class index; NaN for a class absent from (or alone in) the labels. */
  perClass: number[];
}

/**
 * One-vs-rest macro-averaged AUC, equal to
 * `roc_auc_score(labels, probabilities, multi_class="ovr")` (average
 * "macro"): for each class c, the binary AUC of (label == c) against
 * column c of the scores, then their unweighted mean. Labels are class
 * indices 0..k-1; `scores` is row-major n x k, as a model's probability
 * tensor comes out. Where sklearn refuses a window in which some class
 * never occurs, this averages the classes that do and reports the others
 * as NaN, because a monitoring window often lacks a rare class.
 */
export function rocAucOvr(labels: ArrayLike<number>, scores: ArrayLike<number>, classes: number): MulticlassAuc {
  const n = labels.length;
  if (scores.length !== n * classes) throw new RangeError(`${scores.length} scores for ${n} rows of ${classes} classes`);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (Number.isNaN(y)) continue;
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new RangeError(`label ${y} at index ${i} is not a class index below ${classes}`);
    rows.push(i);
  }
  const perClass: number[] = [];
  for (let c = 0; c < classes; c++) {
    perClass.push(
      aucOf(
        rows.map((i) => scores[i * classes + c]),
        rows.map((i) => labels[i] === c),
      ),
    );
  }
  const defined = perClass.filter((v) => !Number.isNaN(v));
  return { auc: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN, perClass };
}

function aucOf(scores: number[], positive: boolean[]): number {
  const n = scores.length;
  let nPos = 0;
  for (const p of positive) if (p) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Ranks start+1 .. end share their mean.
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (positive[order[k]]) rankSum += midRank;
    start = end;
  }
  const u = rankSum - (nPos * (nPos + 1)) / 2;
  return u / nPos / nNeg;
}
