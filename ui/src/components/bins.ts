import type { FeatureSketch } from '../api/types.js';

export interface Bins {
  labels: string[];
  baseline: number[];
  live: number[] | null;
}

const short = (x: number) => (Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(1) : String(Math.round(x * 100) / 100));

/**
 * The baseline's bins and, when given, the window's counts on the same bins
 * (`live_counts` of a drift row: numeric [below, bins…, above]; categorical
 * by category with "(unseen)"), both as shares so they compare.
 */
export function binsOf(sketch: FeatureSketch, live?: number[] | Record<string, number>): Bins {
  if (sketch.type === 'numeric') {
    const e = sketch.edges;
    const labels = [`< ${short(e[0])}`, ...sketch.counts.map((_, i) => `${short(e[i])}–${short(e[i + 1])}`), `> ${short(e[e.length - 1])}`];
    const baseline = [0, ...sketch.counts, 0];
    const l = Array.isArray(live) && live.length === baseline.length ? live : null;
    return { labels, baseline: shares(baseline), live: l ? shares(l) : null };
  }
  const cats = Object.keys(sketch.frequencies).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const rec = live && !Array.isArray(live) ? live : null;
  const labels = rec ? [...cats, '(unseen)'] : cats;
  const baseline = labels.map((k) => sketch.frequencies[k] ?? 0);
  return { labels, baseline: shares(baseline), live: rec ? shares(labels.map((k) => rec[k] ?? 0)) : null };
}

function shares(v: number[]): number[] {
  const total = v.reduce((a, b) => a + b, 0);
  return v.map((x) => (total > 0 ? x / total : 0));
}
