import { binCounts, quantileEdges } from './bins.js';
import { quantileSorted } from './quantile.js';
import { Reservoir, SeededRandom } from './reservoir.js';

/** The quantile levels every numeric sketch reports, as its JSON keys. */
export const QUANTILE_KEYS = ['0.01', '0.05', '0.1', '0.25', '0.5', '0.75', '0.9', '0.95', '0.99'] as const;
export type QuantileKey = (typeof QUANTILE_KEYS)[number];

export const DEFAULT_BINS = 10;
export const DEFAULT_SAMPLE_SIZE = 5000;

/**
 * A numeric distribution as stored with a version (JSON, snake_case).
 * `count` excludes missing values; `counts` sums to `count`; bin i of
 * `edges` is [edges[i], edges[i+1]) and the last bin is closed (see bins.ts).
 * `sample` is a seeded uniform sample of the values, sorted, for the
 * two-sample KS test; when count <= the sample size it is every value.
 */
export interface NumericSketch {
  type: 'numeric';
  count: number;
  missing: number;
  edges: number[];
  counts: number[];
  quantiles: Record<QuantileKey, number>;
  mean: number;
  /** Population standard deviation (numpy's default ddof=0). */
  std: number;
  min: number;
  max: number;
  sample: number[];
}

export interface NumericSketchOptions {
  bins?: number;
  sampleSize?: number;
  /** Seeds the reservoir; the same values and seed give the same sample. */
  seed?: number;
}

/**
 * Sketches one column. NaN is missing; at least one value must be present
 * and every present value finite (JSON cannot carry infinities, and an
 * infinite training value has no bin).
 */
export function buildNumericSketch(values: ArrayLike<number>, opts: NumericSketchOptions = {}): NumericSketch {
  const bins = opts.bins ?? DEFAULT_BINS;
  const reservoir = new Reservoir(opts.sampleSize ?? DEFAULT_SAMPLE_SIZE, new SeededRandom(opts.seed ?? 0));
  const present = new Float64Array(values.length);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) throw new RangeError(`value ${v} at index ${i} is not finite`);
    present[count++] = v;
    reservoir.offer(v);
  }
  if (count === 0) throw new RangeError('no values to sketch: every value is missing');
  const sorted = present.subarray(0, count).sort();
  const edges = quantileEdges(sorted, bins);
  const { mean, std } = moments(sorted);
  return {
    type: 'numeric',
    count,
    missing: values.length - count,
    edges,
    counts: binCounts(edges, sorted).counts,
    quantiles: Object.fromEntries(QUANTILE_KEYS.map((k) => [k, quantileSorted(sorted, Number(k))])) as Record<QuantileKey, number>,
    mean,
    std,
    min: sorted[0],
    max: sorted[count - 1],
    sample: Array.from(reservoir.sortedSample()),
  };
}

/**
 * Mean and population standard deviation by two passes with compensated
 * sums: a one-pass formula loses digits when the mean is large against the
 * spread (incomes around 50,000 varying by a few units).
 */
function moments(values: Float64Array): { mean: number; std: number } {
  const n = values.length;
  const mean = neumaierSum(values, 0) / n;
  const variance = neumaierSum(values, mean, true) / n;
  return { mean, std: Math.sqrt(variance) };
}

function neumaierSum(values: Float64Array, centre: number, squared = false): number {
  let sum = 0;
  let carry = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - centre;
    const x = squared ? d * d : d;
    const t = sum + x;
    carry += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + carry;
}
