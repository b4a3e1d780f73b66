import { SeededRandom } from '../sketch/reservoir.js';
import type { ColumnPartial } from './column-tally.js';
import { LIVE_SAMPLE_SIZE } from './column-tally.js';
import { LATENCY_BOUNDS_MS, type WindowPartial } from './window-sketch.js';

/**
 * A window's figures over all replicas: counts add up; the numeric samples
 * are merged so the result is still a uniform sample of the union, each
 * replica contributing in proportion to the values it saw (every value when
 * the union fits in LIVE_SAMPLE_SIZE).
 */
export function mergePartials(parts: readonly WindowPartial[], seed = 0x6d67, capacity = LIVE_SAMPLE_SIZE): WindowPartial {
  if (parts.length === 0) throw new RangeError('nothing to merge');
  const first = parts[0];
  const random = new SeededRandom(seed);
  return {
    rows: sum(parts.map((p) => p.rows)),
    requests: sum(parts.map((p) => p.requests)),
    errors: sum(parts.map((p) => p.errors)),
    latency: addVectors(parts.map((p) => p.latency), LATENCY_BOUNDS_MS.length + 1),
    feature_names: first.feature_names,
    features: first.features.map((_, f) => mergeColumns(parts.map((p) => p.features[f] ?? null), random, capacity)),
    prediction: mergeColumns(parts.map((p) => p.prediction), random, capacity),
  };
}

function mergeColumns(cols: readonly (ColumnPartial | null)[], random: SeededRandom, capacity: number): ColumnPartial | null {
  const present = cols.filter((c): c is ColumnPartial => c !== null);
  if (present.length === 0) return null;
  const out: ColumnPartial = {
    missing: sum(present.map((c) => c.missing)),
    counts: addVectors(present.map((c) => c.counts), present[0].counts.length),
  };
  if (present.some((c) => c.sample)) {
    const seen = sum(present.map((c) => c.seen ?? c.sample?.length ?? 0));
    out.seen = seen;
    out.sample = mergeSamples(present, seen, random, capacity);
  }
  if (present.some((c) => c.unseen)) {
    const unseen: Record<string, number> = {};
    for (const c of present) for (const [k, n] of Object.entries(c.unseen ?? {})) unseen[k] = (unseen[k] ?? 0) + n;
    out.unseen = unseen;
  }
  return out;
}

function mergeSamples(cols: readonly ColumnPartial[], seen: number, random: SeededRandom, capacity: number): number[] {
  const merged: number[] = [];
  if (seen <= capacity) {
    for (const c of cols) merged.push(...(c.sample ?? []));
  } else {
    for (const c of cols) {
      const s = c.sample ?? [];
      const want = Math.min(s.length, Math.round((capacity * (c.seen ?? s.length)) / seen));
      // A partial Fisher-Yates shuffle picks `want` values uniformly without replacement.
      const pool = s.slice();
      for (let i = 0; i < want; i++) {
        const j = i + random.nextBelow(pool.length - i);
        [pool[i], pool[j]] = [pool[j], pool[i]];
        merged.push(pool[i]);
      }
    }
  }
  return merged.sort((a, b) => a - b);
}

function addVectors(vs: readonly number[][], length: number): number[] {
  const out = new Array<number>(length).fill(0);
  for (const v of vs) {
    if (v.length !== length) throw new RangeError(`partials disagree on their layout: ${v.length} against ${length} counts`);
    for (let i = 0; i < length; i++) out[i] += v[i];
  }
  return out;
}

function sum(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}
