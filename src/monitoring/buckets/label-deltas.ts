import { cellKey, HOUR_MS, MINUTE_MS } from './bucket-grid.js';
import { LABEL_BINS, labelBin } from './score-histograms.js';

/** A label joined with one of its prediction records (live or shadow), as the join returns it. */
export interface JoinedLabel {
  model_name: string;
  version: number;
  variant: string;
  created_at: Date;
  score: number | null;
  predicted: string | null;
  label: string | null;
  value: number | null;
}

/** What a set of joined labels adds to one series' cell of `label_buckets`. */
export interface LabelDelta {
  model: string;
  version: number;
  variant: string;
  grain: 60 | 3600;
  start: number;
  labels: number;
  binaryLabels: number;
  positives: number;
  logLossSum: number;
  scoreSum: number;
  classified: number;
  correct: number;
  valued: number;
  sqErrorSum: number;
  absErrorSum: number;
  /** Minute cells only: every labelled score of each class, float64 little-endian. */
  pos: number[];
  neg: number[];
  posHistogram: Float64Array | null;
  negHistogram: Float64Array | null;
}

/** sklearn's log_loss clips probabilities to [eps, 1 - eps]. */
const EPS = 1e-15;

/**
 * Per series and cell (minute and hour of the prediction, so a late label
 * counts where its prediction is): counts and sums, labelled scores per
 * class, their histograms. Binary truth is label '1' or '0' with a score;
 * other labels count for accuracy only; a value (regression) for RMSE and
 * MAE. Sorted by key, so concurrent upserts lock rows in one order.
 */
export function labelDeltas(rows: readonly JoinedLabel[]): LabelDelta[] {
  const out = new Map<string, LabelDelta>();
  const cell = (r: JoinedLabel, grain: 60 | 3600): LabelDelta => {
    const unit = grain === 60 ? MINUTE_MS : HOUR_MS;
    const start = Math.floor(r.created_at.getTime() / unit) * unit;
    const key = `${r.model_name}\u0000${r.version}\u0000${r.variant}\u0000${cellKey(grain, start)}`;
    let d = out.get(key);
    if (!d) {
      d = {
        model: r.model_name,
        version: r.version,
        variant: r.variant,
        grain,
        start,
        labels: 0,
        binaryLabels: 0,
        positives: 0,
        logLossSum: 0,
        scoreSum: 0,
        classified: 0,
        correct: 0,
        valued: 0,
        sqErrorSum: 0,
        absErrorSum: 0,
        pos: [],
        neg: [],
        posHistogram: null,
        negHistogram: null,
      };
      out.set(key, d);
    }
    return d;
  };
  for (const r of rows) {
    const score = typeof r.score === 'number' && Number.isFinite(r.score) ? r.score : null;
    const y = r.label === '1' ? 1 : r.label === '0' ? 0 : null;
    for (const grain of [60, 3600] as const) {
      const d = cell(r, grain);
      d.labels++;
      if (r.label !== null && r.predicted !== null) {
        d.classified++;
        if (r.predicted === r.label) d.correct++;
      }
      if (r.value !== null && score !== null) {
        d.valued++;
        d.sqErrorSum += (score - r.value) ** 2;
        d.absErrorSum += Math.abs(score - r.value);
      }
      if (y === null || score === null) continue;
      d.binaryLabels++;
      d.positives += y;
      d.scoreSum += score;
      const p = Math.min(Math.max(score, EPS), 1 - EPS);
      d.logLossSum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
      if (grain === 60) (y === 1 ? d.pos : d.neg).push(score);
      if (y === 1) (d.posHistogram ??= new Float64Array(LABEL_BINS))[labelBin(score)]++;
      else (d.negHistogram ??= new Float64Array(LABEL_BINS))[labelBin(score)]++;
    }
  }
  return [...out.values()].sort(
    (a, b) => cmp(a.model, b.model) || a.grain - b.grain || a.start - b.start || a.version - b.version || cmp(a.variant, b.variant),
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Scores packed as float64 little-endian (the `pos_scores` / `neg_scores` columns). */
export function packScores(scores: readonly number[]): Buffer | null {
  if (scores.length === 0) return null;
  const b = Buffer.allocUnsafe(scores.length * 8);
  for (let i = 0; i < scores.length; i++) b.writeDoubleLE(scores[i], i * 8);
  return b;
}

/** Appends packed scores to a growing array (reads of the `pos_scores` / `neg_scores` columns). */
export function unpackScoresInto(into: { data: Float64Array; length: number }, packed: Buffer | null): void {
  if (!packed || packed.length === 0) return;
  const n = packed.length >> 3;
  if (into.length + n > into.data.length) {
    const grown = new Float64Array(Math.max(into.data.length * 2, into.length + n));
    grown.set(into.data.subarray(0, into.length));
    into.data = grown;
  }
  // A Buffer's offset may not be 8-aligned: copy through a DataView-free path when it is not.
  if (packed.byteOffset % 8 === 0) into.data.set(new Float64Array(packed.buffer, packed.byteOffset, n), into.length);
  else for (let i = 0; i < n; i++) into.data[into.length + i] = packed.readDoubleLE(i * 8);
  into.length += n;
}
