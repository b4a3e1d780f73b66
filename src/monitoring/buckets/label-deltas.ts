import { cellKey, HOUR_MS, MINUTE_MS } from './bucket-grid.js';
import { LABEL_BINS, labelBin } from './score-histograms.js';

/** A label joined with one of its prediction records (live or shadow), as the join returns it. */
export interface JoinedLabel {
  model_name: string;
  version: number;
  variant: string;
  /** The prediction's feature source (0 sent, 1 looked up); absent: sent. */
  feature_source?: number | null;
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
  /** Feature source code (0 sent, 1 looked up): a dimension of the cell like the variant. */
  source: 0 | 1;
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
 * Per series, feature source and cell (minute and hour of the prediction, so a late label
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
    const source = Number(r.feature_source) === 1 ? 1 : 0;
    const key = `${r.model_name}\u0000${r.version}\u0000${r.variant}\u0000${source}\u0000${cellKey(grain, start)}`;
    let d = out.get(key);
    if (!d) {
      d = {
        model: r.model_name,
        version: r.version,
        variant: r.variant,
        source,
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
    (a, b) => cmp(a.model, b.model) || a.grain - b.grain || a.start - b.start || a.version - b.version || cmp(a.variant, b.variant) || a.source - b.source,
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Scores packed for the `pos_scores` / `neg_scores` columns, which grow by
 * appending: each chunk is a little-endian uint32 header (the count, with
 * the top bit set when the scores are float64) and the scores, float32 when
 * every one of them is exactly a float32 (model outputs are), else float64.
 * Half the bytes to read, and float32 bits sort as integers.
 */
export function packScores(scores: readonly number[]): Buffer | null {
  if (scores.length === 0) return null;
  const wide = scores.some((s) => Math.fround(s) !== s);
  const b = Buffer.allocUnsafe(4 + scores.length * (wide ? 8 : 4));
  b.writeUInt32LE((scores.length | (wide ? 0x80000000 : 0)) >>> 0, 0);
  for (let i = 0; i < scores.length; i++) {
    if (wide) b.writeDoubleLE(scores[i], 4 + i * 8);
    else b.writeFloatLE(scores[i], 4 + i * 4);
  }
  return b;
}

/** A growing list of scores read back from packed chunks: float32 bits while every score is a float32, else float64. */
export class ScoreList {
  bits = new Uint32Array(16);
  wide: Float64Array | null = null;
  length = 0;

  add(packed: Buffer | null): void {
    if (!packed) return;
    for (let at = 0; at + 4 <= packed.length; ) {
      const h = packed.readUInt32LE(at);
      const n = h & 0x7fffffff;
      const isWide = (h & 0x80000000) !== 0;
      at += 4;
      if (isWide && this.wide === null) this.widen();
      this.reserve(n);
      if (this.wide !== null) {
        for (let i = 0; i < n; i++) this.wide[this.length + i] = isWide ? packed.readDoubleLE(at + i * 8) : packed.readFloatLE(at + i * 4);
      } else if ((packed.byteOffset + at) % 4 === 0) {
        this.bits.set(new Uint32Array(packed.buffer, packed.byteOffset + at, n), this.length);
      } else {
        for (let i = 0; i < n; i++) this.bits[this.length + i] = packed.readUInt32LE(at + i * 4);
      }
      this.length += n;
      at += n * (isWide ? 8 : 4);
    }
  }

  /** The scores, sorted ascending. */
  sorted(): Float32Array | Float64Array {
    if (this.wide !== null) return this.wide.slice(0, this.length).sort();
    const keys = sortFloat32Bits(this.bits.subarray(0, this.length));
    return new Float32Array(keys.buffer, keys.byteOffset, keys.length);
  }

  private reserve(n: number): void {
    const cap = this.wide ? this.wide.length : this.bits.length;
    if (this.length + n <= cap) return;
    const size = Math.max(cap * 2, this.length + n);
    if (this.wide) {
      const w = new Float64Array(size);
      w.set(this.wide.subarray(0, this.length));
      this.wide = w;
    } else {
      const b = new Uint32Array(size);
      b.set(this.bits.subarray(0, this.length));
      this.bits = b;
    }
  }

  private widen(): void {
    const w = new Float64Array(Math.max(16, this.bits.length));
    const f = new Float32Array(this.bits.buffer, this.bits.byteOffset, this.length);
    for (let i = 0; i < this.length; i++) w[i] = f[i];
    this.wide = w;
  }
}

/**
 * Float32 bit patterns sorted in the order of their values: an LSD radix
 * sort on 16-bit digits (two passes) after mapping each pattern to a key
 * that orders as an unsigned integer (negative floats flipped whole,
 * positive ones with the sign bit set). O(n), where a comparison sort of
 * millions of scores costs most of an exact AUC.
 */
export function sortFloat32Bits(bits: Uint32Array): Uint32Array {
  const n = bits.length;
  let src = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = bits[i];
    src[i] = (v & 0x80000000 ? ~v : v | 0x80000000) >>> 0;
  }
  let dst = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const v = src[i];
      dst[count[(v >>> shift) & 0xffff]++] = v;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  for (let i = 0; i < n; i++) {
    const k = src[i];
    src[i] = (k & 0x80000000 ? k & 0x7fffffff : ~k) >>> 0;
  }
  return src;
}
