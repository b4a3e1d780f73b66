import { studentTQuantile } from '../stats/delong-distributions.js';

/** AUC from the sum of the positives' mid-ranks among labelled rows: (R - P(P+1)/2) / (P N); NaN with one class. */
export function aucFromRankSum(positives: number, labelled: number, positiveRankSum: number): number {
  const negatives = labelled - positives;
  if (positives <= 0 || negatives <= 0) return NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / positives / negatives;
}

export interface MeanInterval {
  count: number;
  mean: number;
  /** Two-sided 95% t interval for the mean; null below two values. */
  ci95: [number, number] | null;
}

/** Mean of a business outcome with its 95% interval (Student t on the sample standard deviation). */
export function meanInterval(values: readonly number[]): MeanInterval {
  const n = values.length;
  if (n === 0) return { count: 0, mean: NaN, ci95: null };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { count: n, mean, ci95: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const half = studentTQuantile(0.975, n - 1) * Math.sqrt(ss / (n - 1) / n);
  return { count: n, mean, ci95: [mean - half, mean + half] };
}

export interface AucBarPolicy {
  /** An absolute floor (`auc_min`), or none. */
  aucMin?: number;
  /** How far below the registered validation AUC live AUC may fall (`auc_margin`, default 0.05). */
  aucMargin: number;
  /** Labels needed before a window is judged (`min_labels`, default 200). */
  minLabels: number;
}

export function aucBarPolicy(policy: Record<string, unknown> | null | undefined): AucBarPolicy {
  const p = policy ?? {};
  const num = (k: string) => (typeof p[k] === 'number' && Number.isFinite(p[k]) ? (p[k] as number) : undefined);
  return { aucMin: num('auc_min'), aucMargin: num('auc_margin') ?? 0.05, minLabels: num('min_labels') ?? 200 };
}

/** The AUC a series must reach: `auc_min` when set, else the validation AUC minus the margin; undefined when neither exists. */
export function aucBar(policy: AucBarPolicy, validationAuc: number | null | undefined): number | undefined {
  if (policy.aucMin !== undefined) return policy.aucMin;
  if (typeof validationAuc === 'number' && Number.isFinite(validationAuc)) return validationAuc - policy.aucMargin;
  return undefined;
}

/** 1 when the window has enough labels and its AUC is under the bar, 0 when it clears it, undefined when it cannot be judged. */
export function aucBelowBar(auc: number, labels: number, policy: AucBarPolicy, validationAuc: number | null | undefined): 0 | 1 | undefined {
  const bar = aucBar(policy, validationAuc);
  if (bar === undefined || labels < policy.minLabels || !Number.isFinite(auc)) return undefined;
  return auc < bar ? 1 : 0;
}

/** Bucket bounds, aligned to multiples of the bucket since the epoch (as monitoring windows are). */
export function bucketBounds(bucket: number, bucketMs: number): { window_start: string; window_end: string } {
  return { window_start: new Date(bucket * bucketMs).toISOString(), window_end: new Date((bucket + 1) * bucketMs).toISOString() };
}

/** A finite number, or null for JSON (NaN and Infinity have no JSON form). */
export function finite(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
