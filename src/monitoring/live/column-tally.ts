import { SeededRandom } from '../sketch/reservoir.js';
import { categoryKey } from '../sketch/categorical-sketch.js';
import type { CategoricalColumnLayout, NumericColumnLayout } from './series-layout.js';

/** Live values kept per numeric column and window for the two-sample KS test. */
export const LIVE_SAMPLE_SIZE = 2_000;
/** Distinct unseen categories remembered per column and window (beyond it they are only counted). */
export const UNSEEN_TRACKED = 64;

/**
 * One column's live tally for one window and replica, as it is flushed and
 * merged (JSON). `counts` is [underflow, bin 0..b-1, overflow] for a numeric
 * column and [category 0..k-1, unseen] for a categorical one.
 */
export interface ColumnPartial {
  missing: number;
  counts: number[];
  /** Numeric: a uniform sample of the present values, and how many were offered. */
  sample?: number[];
  seen?: number;
  /** Categorical: the unseen values remembered, by category key. */
  unseen?: Record<string, number>;
}

export interface ColumnTally {
  missing: number;
  /** A value from the feature matrix; NaN is missing. */
  add(v: number): void;
  /** A value from a decoded answer (score, value or class label), of any type. */
  addValue(v: unknown): void;
  toPartial(): ColumnPartial;
}

/**
 * Counts on the baseline's edges (bins.ts convention: bin i is
 * [edges[i], edges[i+1]), the last bin closed) and a uniform sample by
 * reservoir sampling with Li's Algorithm L: after the reservoir fills, the
 * random generator runs only when a value is actually taken (a geometric
 * skip to the next one), so the common row costs a comparison. Everything is
 * a typed array sized once per window; adding never allocates.
 */
export class NumericTally implements ColumnTally {
  missing = 0;
  private readonly counts: Float64Array;
  private readonly edges: Float64Array;
  private readonly sample = new Float64Array(LIVE_SAMPLE_SIZE);
  private seen = 0;
  private nextTaken = 0;
  private w = 1;
  private readonly random: SeededRandom;

  constructor(layout: NumericColumnLayout, seed: number) {
    this.edges = layout.edges;
    this.counts = new Float64Array(layout.edges.length + 1);
    this.random = new SeededRandom(seed);
  }

  add(v: number): void {
    if (v !== v) {
      this.missing++;
      return;
    }
    const e = this.edges;
    const last = e.length - 1;
    // Slot 0 is the underflow bucket, slot last + 1 the overflow one.
    let slot: number;
    if (v < e[0]) slot = 0;
    else if (v >= e[last]) slot = v === e[last] ? last : last + 1;
    else {
      let lo = 0;
      let hi = last - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (e[mid] <= v) lo = mid;
        else hi = mid - 1;
      }
      slot = lo + 1;
    }
    this.counts[slot]++;
    this.offer(v);
  }

  addValue(v: unknown): void {
    if (typeof v === 'number') this.add(v);
    else this.missing++;
  }

  private offer(v: number): void {
    const i = this.seen++;
    const k = LIVE_SAMPLE_SIZE;
    if (i < k) {
      this.sample[i] = v;
      if (i === k - 1) this.skip();
      return;
    }
    if (i !== this.nextTaken) return;
    this.sample[this.random.nextBelow(k)] = v;
    this.skip();
  }

  /** Algorithm L (Li 1994): the index of the next value the reservoir takes. */
  private skip(): void {
    const k = LIVE_SAMPLE_SIZE;
    this.w *= Math.exp(Math.log(this.uniform()) / k);
    this.nextTaken = this.seen + Math.floor(Math.log(this.uniform()) / Math.log(1 - this.w));
  }

  /** Uniform in (0, 1): log(0) would be -Infinity. */
  private uniform(): number {
    return (this.random.nextUint32() + 0.5) / 4294967296;
  }

  toPartial(): ColumnPartial {
    const n = Math.min(this.seen, LIVE_SAMPLE_SIZE);
    return { missing: this.missing, counts: Array.from(this.counts), sample: Array.from(this.sample.subarray(0, n)).sort((a, b) => a - b), seen: this.seen };
  }
}

/**
 * Counts by the baseline's categories and one unseen bucket. A value is one
 * map lookup; only a new unseen category allocates, at most UNSEEN_TRACKED
 * times a window.
 */
export class CategoricalTally implements ColumnTally {
  missing = 0;
  private readonly counts: Float64Array;
  private readonly unseenSlot: number;
  private readonly index: ReadonlyMap<number | string, number>;
  private readonly codes: Int32Array;
  private readonly unseen = new Map<number | string, number>();

  constructor(layout: CategoricalColumnLayout) {
    this.index = layout.index;
    this.codes = layout.codes;
    this.unseenSlot = layout.categories.length;
    this.counts = new Float64Array(layout.categories.length + 1);
  }

  add(v: number): void {
    const c = v | 0;
    if (c === v && c >= 0 && c < this.codes.length) {
      const i = this.codes[c];
      if (i !== 0) {
        this.counts[i - 1]++;
        return;
      }
    }
    if (v !== v) this.missing++;
    else this.count(v);
  }

  addValue(v: unknown): void {
    if (typeof v === 'number') this.add(v);
    else if (typeof v === 'string') this.count(v);
    else this.missing++;
  }

  private count(v: number | string): void {
    const i = this.index.get(v);
    if (i !== undefined) {
      this.counts[i]++;
      return;
    }
    this.counts[this.unseenSlot]++;
    const n = this.unseen.get(v);
    if (n !== undefined) this.unseen.set(v, n + 1);
    else if (this.unseen.size < UNSEEN_TRACKED) this.unseen.set(v, 1);
  }

  toPartial(): ColumnPartial {
    const unseen: Record<string, number> = {};
    for (const [k, n] of this.unseen) {
      const key = categoryKey(k) ?? String(k);
      unseen[key] = (unseen[key] ?? 0) + n;
    }
    return { missing: this.missing, counts: Array.from(this.counts), unseen };
  }
}
