import { LATENCY_BOUNDS_MS } from '../live/window-sketch.js';
import type { LatencyHistogram } from './drift-check.record.js';

/**
 * p50 and p99 of a window's latency histogram, interpolated linearly inside
 * the bucket the rank falls in (as Prometheus' histogram_quantile does); a
 * rank in the overflow bucket reports the last bound, a lower bound on it.
 */
export function latencySummary(counts: readonly number[]): { p50: number | null; p99: number | null; histogram: LatencyHistogram } {
  const histogram = { bounds_ms: [...LATENCY_BOUNDS_MS], counts: [...counts] };
  return { p50: quantile(counts, 0.5), p99: quantile(counts, 0.99), histogram };
}

export function quantile(counts: readonly number[], q: number): number | null {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = q * n;
  let below = 0;
  const b = LATENCY_BOUNDS_MS;
  for (let i = 0; i < counts.length; i++) {
    if (below + counts[i] >= rank && counts[i] > 0) {
      if (i >= b.length) return b[b.length - 1];
      const lo = i === 0 ? 0 : b[i - 1];
      return lo + ((b[i] - lo) * (rank - below)) / counts[i];
    }
    below += counts[i];
  }
  return b[b.length - 1];
}
