import { binIndex, UNDERFLOW } from '../sketch/bins.js';
import { Reservoir, SeededRandom } from '../sketch/reservoir.js';
import { categoryKey } from '../sketch/categorical-sketch.js';
import type { ColumnLayout } from './series-layout.js';

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

/**
 * Adding a value costs a binary search over the edges (numeric) or one map
 * lookup (categorical), and never allocates: the counts and the reservoir
 * are typed arrays sized when the window opens. Only a new unseen category
 * allocates, at most UNSEEN_TRACKED times a window.
 */
export class ColumnTally {
  missing = 0;
  private readonly counts: Float64Array;
  private readonly reservoir?: Reservoir;
  private readonly unseen?: Map<number | string, number>;
  private readonly overflow: number;

  constructor(
    private readonly layout: ColumnLayout,
    seed: number,
  ) {
    if (layout.kind === 'numeric') {
      this.counts = new Float64Array(layout.edges.length + 1);
      this.overflow = layout.edges.length - 1;
      this.reservoir = new Reservoir(LIVE_SAMPLE_SIZE, new SeededRandom(seed));
    } else {
      this.counts = new Float64Array(layout.categories.length + 1);
      this.overflow = layout.categories.length;
      this.unseen = new Map();
    }
  }

  add(v: number | string | null | undefined): void {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      this.missing++;
      return;
    }
    const l = this.layout;
    if (l.kind === 'numeric') {
      if (typeof v !== 'number') {
        this.missing++;
        return;
      }
      const b = binIndex(l.edges, v);
      // Shifted by one: slot 0 is the underflow bucket.
      this.counts[b === UNDERFLOW ? 0 : b + 1]++;
      this.reservoir!.offer(v);
      return;
    }
    const i = l.index.get(v);
    if (i !== undefined) {
      this.counts[i]++;
      return;
    }
    this.counts[this.overflow]++;
    const u = this.unseen!;
    const n = u.get(v);
    if (n !== undefined) u.set(v, n + 1);
    else if (u.size < UNSEEN_TRACKED) u.set(v, 1);
  }

  toPartial(): ColumnPartial {
    const p: ColumnPartial = { missing: this.missing, counts: Array.from(this.counts) };
    if (this.reservoir) {
      p.sample = Array.from(this.reservoir.sortedSample());
      p.seen = this.reservoir.offered;
    }
    if (this.unseen) {
      const out: Record<string, number> = {};
      for (const [k, n] of this.unseen) {
        const key = categoryKey(k) ?? String(k);
        out[key] = (out[key] ?? 0) + n;
      }
      p.unseen = out;
    }
    return p;
  }
}
