import { Injectable } from '@nestjs/common';
import { ValidationFailed } from '../../common/errors.js';
import { ModelNotFound } from '../../registry/registry.errors.js';
import { delongUnpaired } from '../stats/delong.js';
import { finite, meanInterval } from './performance-math.js';
import { type BucketMetrics, type LabelledRow, PerformanceReader } from './performance-reader.js';

export interface PerformanceQuery {
  version?: number;
  variant?: string;
  from?: Date;
  to?: Date;
  /** Bucket length in seconds; the window is also reported whole. */
  bucketSeconds?: number;
}

const DAY_S = 86_400;
const MAX_BUCKETS = 10_000;

type Window = Omit<BucketMetrics, 'model' | 'version' | 'variant' | 'validation_auc'>;

interface SeriesView {
  version: number;
  variant: string;
  validation: Record<string, number>;
  window: Window;
  buckets: Window[];
  outcomes: Record<string, ReturnType<typeof meanInterval>>;
}

/**
 * `GET /api/v1/models/{name}/performance`: per series, the whole window and
 * its buckets beside the validation metrics registered with the version;
 * between every two binary series, DeLong's test of their AUC difference
 * (unpaired: variants see different requests); business outcomes per series.
 */
@Injectable()
export class PerformanceService {
  constructor(private readonly reader: PerformanceReader) {}

  async performance(model: string, q: PerformanceQuery, now = new Date()) {
    const facts = await this.reader.modelFacts(model);
    if (!facts) throw new ModelNotFound(model);
    const to = q.to ?? now;
    const from = q.from ?? new Date(to.getTime() - DAY_S * 1000);
    if (!(from.getTime() < to.getTime())) throw new ValidationFailed('from must be before to', { field: 'from' });
    const bucketSeconds = q.bucketSeconds ?? 3600;
    if ((to.getTime() - from.getTime()) / (bucketSeconds * 1000) > MAX_BUCKETS) {
      throw new ValidationFailed(`at most ${MAX_BUCKETS} buckets per answer; choose a larger bucket`, { field: 'bucket' });
    }
    const base = { model, from, to, version: q.version, variant: q.variant };
    const [whole, buckets, rows] = await Promise.all([
      // The whole window as one bucket: every record before `to` falls in bucket 0 of a bucket `to` ms long.
      this.reader.metrics({ ...base, bucketMs: to.getTime() }, facts),
      this.reader.metrics({ ...base, bucketMs: bucketSeconds * 1000 }, facts),
      this.reader.labelledRows({ ...base, bucketMs: bucketSeconds * 1000 }),
    ]);
    const key = (m: { version: number; variant: string }) => `${m.version}\u0000${m.variant}`;
    const series = new Map<string, SeriesView>();
    for (const w of whole) {
      series.set(key(w), {
        version: w.version,
        variant: w.variant,
        validation: facts.validation.get(w.version) ?? {},
        window: { ...strip(w), window_start: from.toISOString(), window_end: to.toISOString() },
        buckets: [],
        outcomes: {},
      });
    }
    for (const b of buckets) series.get(key(b))?.buckets.push(strip(b));
    const bySeries = groupRows(rows);
    for (const [k, s] of series) s.outcomes = outcomesOf(bySeries.get(k) ?? []);
    const list = [...series.values()];
    return {
      model,
      task: facts.task,
      from: from.toISOString(),
      to: to.toISOString(),
      bucket_seconds: bucketSeconds,
      series: list,
      comparisons: facts.task === 'binary_classification' ? comparisons(list, bySeries) : [],
    };
  }
}

function strip(m: BucketMetrics): Window {
  const { model: _m, version: _v, variant: _va, validation_auc: _a, ...rest } = m;
  return rest;
}

function groupRows(rows: readonly LabelledRow[]): Map<string, LabelledRow[]> {
  const out = new Map<string, LabelledRow[]>();
  for (const r of rows) {
    const k = `${r.version}\u0000${r.variant}`;
    let g = out.get(k);
    if (!g) out.set(k, (g = []));
    g.push(r);
  }
  return out;
}

function outcomesOf(rows: readonly LabelledRow[]): Record<string, ReturnType<typeof meanInterval>> {
  const values = new Map<string, number[]>();
  for (const r of rows) {
    for (const [name, v] of Object.entries(r.outcomes ?? {})) {
      if (typeof v !== 'number') continue;
      let list = values.get(name);
      if (!list) values.set(name, (list = []));
      list.push(v);
    }
  }
  return Object.fromEntries([...values].sort(([a], [b]) => a.localeCompare(b)).map(([name, vs]) => [name, meanInterval(vs)]));
}

function binary(rows: readonly LabelledRow[]): { labels: number[]; scores: number[] } {
  const labels: number[] = [];
  const scores: number[] = [];
  for (const r of rows) {
    if (r.score === null || (r.truth !== '1' && r.truth !== '0')) continue;
    labels.push(r.truth === '1' ? 1 : 0);
    scores.push(r.score);
  }
  return { labels, scores };
}

/** DeLong between every two series with at least two labels of each class; `a` minus `b`. */
function comparisons(list: readonly SeriesView[], rows: Map<string, LabelledRow[]>) {
  const out: unknown[] = [];
  const data = list.map((s) => ({ s, ...binary(rows.get(`${s.version}\u0000${s.variant}`) ?? []) }));
  for (let i = 0; i < data.length; i++) {
    for (let j = i + 1; j < data.length; j++) {
      const a = data[i];
      const b = data[j];
      const ref = { a: { version: a.s.version, variant: a.s.variant, labels: a.labels.length }, b: { version: b.s.version, variant: b.s.variant, labels: b.labels.length } };
      try {
        const r = delongUnpaired(a.labels, a.scores, b.labels, b.scores);
        out.push({
          ...ref,
          method: 'delong',
          auc_a: finite(r.auc1),
          auc_b: finite(r.auc2),
          difference: finite(r.difference),
          statistic: finite(r.statistic),
          df: finite(r.df),
          p_value: finite(r.pValue),
          ci95: [finite(r.ci[0]), finite(r.ci[1])],
        });
      } catch (err) {
        out.push({ ...ref, method: 'delong', p_value: null, reason: (err as Error).message });
      }
    }
  }
  return out;
}
