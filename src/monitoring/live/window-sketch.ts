import { hashString } from '../sketch/reservoir.js';
import { CategoricalTally, type ColumnPartial, type ColumnTally, NumericTally } from './column-tally.js';
import type { ColumnLayout, SeriesLayout } from './series-layout.js';

/** Upper bounds of the per-window latency buckets, in ms; one more bucket holds the rest. */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000] as const;

/** A score or class as the decoded answer row carries it. */
export interface ScoredRow {
  score?: number;
  value?: number;
  label?: unknown;
}

/** What one replica saw of one series in one window (JSON, flushed to `window_sketches`). */
export interface WindowPartial {
  rows: number;
  requests: number;
  errors: number;
  latency: number[];
  feature_names: string[];
  features: (ColumnPartial | null)[];
  prediction: ColumnPartial | null;
}

/**
 * One series' live sketch for one window on this replica: row, request and
 * error counts, the latency histogram, and a ColumnTally per feature and for
 * the prediction, all preallocated when the window opens.
 */
export class WindowSketch {
  rows = 0;
  requests = 0;
  errors = 0;
  /** Set by every update, cleared by a flush: an unchanged window is not written again. */
  dirty = false;
  private readonly latency = new Float64Array(LATENCY_BOUNDS_MS.length + 1);
  private readonly features: (ColumnTally | null)[];
  // Numeric and categorical columns apart, so each loop's call site sees one class.
  private readonly numeric: NumericTally[] = [];
  private readonly numericAt: Int32Array;
  private readonly categorical: CategoricalTally[] = [];
  private readonly categoricalAt: Int32Array;
  private readonly prediction: ColumnTally | null;
  private readonly width: number;

  constructor(
    readonly layout: SeriesLayout,
    readonly windowStart: number,
    readonly windowEnd: number,
    seed: number,
  ) {
    this.width = layout.featureNames.length;
    const numericAt: number[] = [];
    const categoricalAt: number[] = [];
    this.features = layout.features.map((l, f) => {
      if (!l) return null;
      if (l.kind === 'numeric') {
        const t = new NumericTally(l, (hashString(l.name) ^ seed) >>> 0);
        this.numeric.push(t);
        numericAt.push(f);
        return t;
      }
      const t = new CategoricalTally(l);
      this.categorical.push(t);
      categoricalAt.push(f);
      return t;
    });
    this.numericAt = Int32Array.from(numericAt);
    this.categoricalAt = Int32Array.from(categoricalAt);
    this.prediction = layout.prediction ? tally(layout.prediction, (hashString('\u0000score') ^ seed) >>> 0) : null;
  }

  /** A request answered with `n` rows; `data` is row-major in the version's feature order. */
  observe(data: ArrayLike<number>, width: number, n: number, answers: ArrayLike<ScoredRow>, latencyMs: number): void {
    this.requests++;
    this.rows += n;
    this.latency[latencyBucket(latencyMs)]++;
    this.dirty = true;
    if (width === this.width) {
      const num = this.numeric;
      const numAt = this.numericAt;
      const cat = this.categorical;
      const catAt = this.categoricalAt;
      for (let r = 0; r < n; r++) {
        const base = r * width;
        for (let i = 0; i < num.length; i++) num[i].add(data[base + numAt[i]]);
        for (let i = 0; i < cat.length; i++) cat[i].add(data[base + catAt[i]]);
      }
    }
    const p = this.prediction;
    if (p === null) return;
    const byScore = this.layout.prediction!.kind === 'numeric';
    for (let r = 0; r < n; r++) {
      const a = answers[r];
      if (a === undefined) p.missing++;
      else p.addValue(byScore ? (a.score ?? a.value) : a.label);
    }
  }

  /** A request that got no answer from this series. */
  observeError(latencyMs: number): void {
    this.requests++;
    this.errors++;
    this.latency[latencyBucket(latencyMs)]++;
    this.dirty = true;
  }

  toPartial(): WindowPartial {
    return {
      rows: this.rows,
      requests: this.requests,
      errors: this.errors,
      latency: Array.from(this.latency),
      feature_names: [...this.layout.featureNames],
      features: this.features.map((t) => t?.toPartial() ?? null),
      prediction: this.prediction?.toPartial() ?? null,
    };
  }
}

function tally(l: ColumnLayout, seed: number): ColumnTally {
  return l.kind === 'numeric' ? new NumericTally(l, seed) : new CategoricalTally(l);
}

function latencyBucket(ms: number): number {
  const b = LATENCY_BOUNDS_MS;
  for (let i = 0; i < b.length; i++) if (ms <= b[i]) return i;
  return b.length;
}

/** The start of the epoch-aligned window holding `t` (PRODUCT.md "Windows"). */
export function windowStartOf(t: number, windowMs: number): number {
  return Math.floor(t / windowMs) * windowMs;
}
