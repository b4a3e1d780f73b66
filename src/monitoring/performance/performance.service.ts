import { Injectable } from '@nestjs/common';
import { ValidationFailed } from '../../common/errors.js';
import { ModelNotFound } from '../../registry/registry.errors.js';
import { bucketMsOf } from '../buckets/bucket-grid.js';
import type { Figures } from '../buckets/bucket-figures.js';
import type { AucSummary } from '../buckets/split-auc.js';
import { delongUnpairedOf } from '../stats/delong.js';
import { type EstimateFields, estimateFields, type SeriesEstimate, seriesEstimate } from './estimate-fields.js';
import { PerformanceEstimates } from './performance-estimates.js';
import { bucketBounds, finite, meanInterval } from './performance-math.js';
import { type LabelledExtra, PerformanceReader } from './performance-reader.js';

export interface PerformanceQuery {
  version?: number;
  variant?: string;
  from?: Date;
  to?: Date;
  /** Bucket length in seconds, rounded up to a whole minute; the window is also reported whole. */
  bucketSeconds?: number;
}

const DAY_S = 86_400;
const MAX_BUCKETS = 10_000;

type Window = Figures & EstimateFields & { window_start: string; window_end: string };

interface SeriesView {
  version: number;
  variant: string;
  validation: Record<string, number>;
  /** Whether the version's calibration allows CBPE estimates (the `estimated_*` fields), or why not. */
  estimate: SeriesEstimate;
  window: Window;
  buckets: Window[];
  outcomes: Record<string, ReturnType<typeof meanInterval>>;
}

/**
 * `GET /api/v1/models/{name}/performance`: per series, the whole window and
 * its buckets beside the validation metrics registered with the version;
 * between every two binary series, DeLong's test of their AUC difference
 * (unpaired: variants see different requests); business outcomes per series.
 * Read from buckets: exact (every labelled score) for ranges up to an hour,
 * from labelled-score histograms beyond, with `auc_error_bound`.
 * Binary versions whose baseline calibration allows it also carry CBPE
 * estimates (`estimated_auc`, `estimated_accuracy`,
 * `estimated_positive_rate`) per bucket and over the whole range.
 */
@Injectable()
export class PerformanceService {
  constructor(
    private readonly reader: PerformanceReader,
    private readonly estimates: PerformanceEstimates,
  ) {}

  async performance(model: string, q: PerformanceQuery, now = new Date()) {
    const facts = await this.reader.modelFacts(model);
    if (!facts) throw new ModelNotFound(model);
    const to = q.to ?? now;
    const from = q.from ?? new Date(to.getTime() - DAY_S * 1000);
    if (!(from.getTime() < to.getTime())) throw new ValidationFailed('from must be before to', { field: 'from' });
    const bucketMs = bucketMsOf(q.bucketSeconds ?? 3600);
    if ((to.getTime() - from.getTime()) / bucketMs > MAX_BUCKETS) {
      throw new ValidationFailed(`at most ${MAX_BUCKETS} buckets per answer; choose a larger bucket`, { field: 'bucket' });
    }
    const base = { model, from, to, version: q.version, variant: q.variant, bucketMs };
    const binary = facts.task === 'binary_classification';
    const [read, extras, histograms] = await Promise.all([
      this.reader.read(base, facts),
      this.reader.extras(base, 'outcomes'),
      binary ? this.reader.scoreHistograms(base) : Promise.resolve(new Map()),
    ]);
    const calibrations = binary ? await this.estimates.calibrations(model, read.series.map((s) => s.version)) : new Map();
    const maxEce = this.estimates.maxEce;
    const multiclass = facts.task === 'multiclass_classification' ? await this.reader.metrics(base, facts) : [];
    const bySeries = groupRows(extras);
    const sides = new Map<string, AucSummary | null>();
    const list: SeriesView[] = read.series.map((s) => {
      const k = `${s.version}\u0000${s.variant}`;
      sides.set(k, s.side);
      const calibration = calibrations.get(s.version);
      const h = histograms.get(k);
      const buckets: Window[] = s.buckets.map(({ span, ...f }) => ({ ...bucketBounds(span.index, bucketMs), ...f, ...estimateFields(calibration, h?.buckets.get(span.index), maxEce) }));
      const window: Window = { ...s.whole, window_start: read.from.toISOString(), window_end: read.to.toISOString(), ...estimateFields(calibration, h?.whole, maxEce) };
      if (multiclass.length) {
        // One-vs-rest AUC per bucket comes from labelled probabilities; the whole window's is left to the buckets.
        for (const b of buckets) b.auc = multiclass.find((m) => m.version === s.version && m.variant === s.variant && m.window_start === b.window_start)?.auc ?? null;
        window.auc = buckets.length === 1 ? buckets[0].auc : null;
      }
      const estimate = seriesEstimate(facts.task, calibration, maxEce);
      return { version: s.version, variant: s.variant, validation: facts.validation.get(s.version) ?? {}, estimate, window, buckets, outcomes: outcomesOf(bySeries.get(k) ?? []) };
    });
    return {
      model,
      task: facts.task,
      from: read.from.toISOString(),
      to: read.to.toISOString(),
      bucket_seconds: bucketMs / 1000,
      exact: read.exact,
      series: list,
      comparisons: facts.task === 'binary_classification' ? comparisons(list, sides) : [],
    };
  }
}

function groupRows(rows: readonly LabelledExtra[]): Map<string, LabelledExtra[]> {
  const out = new Map<string, LabelledExtra[]>();
  for (const r of rows) {
    const k = `${r.version}\u0000${r.variant}`;
    let g = out.get(k);
    if (!g) out.set(k, (g = []));
    g.push(r);
  }
  return out;
}

function outcomesOf(rows: readonly LabelledExtra[]): Record<string, ReturnType<typeof meanInterval>> {
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

/** DeLong between every two series with at least two labels of each class; `a` minus `b`. */
function comparisons(list: readonly SeriesView[], sides: Map<string, AucSummary | null>) {
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i];
      const b = list[j];
      const sa = sides.get(`${a.version}\u0000${a.variant}`);
      const sb = sides.get(`${b.version}\u0000${b.variant}`);
      const labels = (s: AucSummary | null | undefined) => (s ? s.positives + s.negatives : 0);
      const ref = { a: { version: a.version, variant: a.variant, labels: labels(sa) }, b: { version: b.version, variant: b.variant, labels: labels(sb) } };
      try {
        if (!sa || !sb) throw new RangeError("DeLong's test needs labels of both classes in both series");
        const r = delongUnpairedOf(sa, sb);
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
          auc_error_bound: finite(sa.errorBound + sb.errorBound),
        });
      } catch (err) {
        out.push({ ...ref, method: 'delong', p_value: null, reason: (err as Error).message });
      }
    }
  }
  return out;
}
