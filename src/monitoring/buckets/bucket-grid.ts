/**
 * The time grid performance is kept on: every figure is stored per series
 * for each minute and each hour (by prediction time, aligned to the epoch),
 * and a range is read as whole hours plus the minutes at its edges, so a
 * day costs 24 hour rows and at most 118 minute rows per series.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** The grains rows are kept at, in seconds (the `grain` column). */
export const GRAINS_S = [60, 3600] as const;
/** Ranges up to this long are answered exactly, from every labelled score; longer ones from histograms. */
export const EXACT_RANGE_MS = HOUR_MS;

export interface Cell {
  /** 60 or 3600. */
  grain: number;
  /** Epoch ms. */
  start: number;
}

/** A bucket length in ms, rounded up to a whole minute (at least one). */
export function bucketMsOf(bucketSeconds: number): number {
  return Math.max(1, Math.ceil(bucketSeconds / 60)) * MINUTE_MS;
}

export const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
export const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/** The cells covering [from, to) (both whole minutes): whole hours inside it, minutes at its edges. */
export function cover(from: number, to: number): Cell[] {
  const cells: Cell[] = [];
  const h0 = ceilTo(from, HOUR_MS);
  const h1 = floorTo(to, HOUR_MS);
  if (h0 >= h1) {
    for (let t = from; t < to; t += MINUTE_MS) cells.push({ grain: 60, start: t });
    return cells;
  }
  for (let t = from; t < h0; t += MINUTE_MS) cells.push({ grain: 60, start: t });
  for (let t = h0; t < h1; t += HOUR_MS) cells.push({ grain: 3600, start: t });
  for (let t = h1; t < to; t += MINUTE_MS) cells.push({ grain: 60, start: t });
  return cells;
}

export interface BucketSpan {
  /** Index of the epoch-aligned bucket (start / bucketMs). */
  index: number;
  start: number;
  end: number;
  cells: Cell[];
}

/**
 * The epoch-aligned buckets of `bucketMs` meeting [from, to), each clipped
 * to the range, with the cells that cover it. `from` and `to` are widened
 * to whole minutes first (the grid's resolution).
 */
export function bucketSpans(from: number, to: number, bucketMs: number): BucketSpan[] {
  const a = floorTo(from, MINUTE_MS);
  const b = ceilTo(to, MINUTE_MS);
  const spans: BucketSpan[] = [];
  for (let s = floorTo(a, bucketMs); s < b; s += bucketMs) {
    const lo = Math.max(s, a);
    const hi = Math.min(s + bucketMs, b);
    spans.push({ index: s / bucketMs, start: s, end: s + bucketMs, cells: cover(lo, hi) });
  }
  return spans;
}

export const cellKey = (grain: number, start: number) => `${grain}:${start}`;
