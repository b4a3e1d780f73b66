import { Injectable } from '@nestjs/common';
import { ValidationFailed } from '../../common/errors.js';
import { ModelNotFound } from '../../registry/registry.errors.js';
import { bucketMsOf } from '../buckets/bucket-grid.js';
import type { Figures, SeriesFigures } from '../buckets/bucket-figures.js';
import type { AucSummary } from '../buckets/split-auc.js';
import { delongUnpairedOf } from '../stats/delong.js';
import { type EstimateFields, estimateFields, type SeriesEstimate, seriesEstimate } from './estimate-fields.js';
import { PerformanceEstimates } from './performance-estimates.js';
import { bucketBounds, finite, meanInterval } from './performance-math.js';
import type { VersionCalibration } from '../estimate/calibration.js';
import { FEATURE_SOURCES, type FeatureSourceName, featureSourceName } from '../telemetry/feature-source.js';
import { type LabelledExtra, multiclassAuc, PerformanceReader } from './performance-reader.js';

export interface PerformanceQuery {
  version?: number;
  variant?: string;
  from?: Date;
  to?: Date;
  /** Bucket length in seconds, rounded up to a whole minute; the window is also reported whole. */
  bucketSeconds?: number;
  /** `feature_source`: the same figures apart for predictions served with sent and with looked-up features. */
  split?: 'feature_source';
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

type Histograms = Map<string, { whole: Float64Array; buckets: Map<number, Float64Array> }>;

/** What one set of series reads from: its figures, labelled extras and score histograms (keys: version NUL variant). */
interface Part {
  series: SeriesFigures[];
  extras: readonly LabelledExtra[];
  histograms: Histograms;
  /** Multiclass one-vs-rest AUC per version NUL variant NUL bucket index. */
  multiclass: Map<string, number> | undefined;
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
 * With `split: 'feature_source'` the same answer is given apart for
 * predictions served with sent features and with looked-up ones
 * (`feature_sources.sent`, `feature_sources.looked_up`), plus per series
 * DeLong's test of looked-up against sent (`source_comparisons`).
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
    const split = q.split === 'feature_source';
    const [read, extras, histograms, probabilities] = await Promise.all([
      split ? this.reader.readBySource(base, facts) : this.reader.read(base, facts).then(({ series, ...r }) => ({ ...r, bySource: undefined, series })),
      this.reader.extras(base, 'outcomes'),
      binary ? this.reader.scoreHistograms(base, split) : Promise.resolve(new Map() as Awaited<ReturnType<PerformanceReader['scoreHistograms']>>),
      facts.task === 'multiclass_classification' ? this.reader.extras(base, 'probabilities') : Promise.resolve([]),
    ]);
    const all = read.bySource ? [...read.bySource.sent, ...read.bySource.looked_up] : read.series!;
    const calibrations = binary ? await this.estimates.calibrations(model, all.map((s) => s.version)) : new Map();
    const ctx: ViewContext = { task: facts.task, validation: facts.validation, calibrations, maxEce: this.estimates.maxEce, bucketMs, from: read.from, to: read.to };
    const multiclassOf = (rows: readonly LabelledExtra[]) => (probabilities.length ? multiclassAuc(rows, bucketMs) : undefined);
    const head = { model, task: facts.task, from: read.from.toISOString(), to: read.to.toISOString(), bucket_seconds: bucketMs / 1000, exact: read.exact };
    if (!read.bySource) {
      return { ...head, ...partView(ctx, { series: read.series!, extras, histograms, multiclass: multiclassOf(probabilities) }).answer };
    }
    const views = Object.fromEntries(
      FEATURE_SOURCES.map((name) => {
        const ofSource = <T extends { feature_source: number }>(rows: readonly T[]) => rows.filter((r) => featureSourceName(r.feature_source) === name);
        const hs: Histograms = new Map();
        const suffix = `\u0000${name}`;
        for (const [k, h] of histograms) if (k.endsWith(suffix)) hs.set(k.slice(0, -suffix.length), h);
        return [name, partView(ctx, { series: read.bySource![name], extras: ofSource(extras), histograms: hs, multiclass: multiclassOf(ofSource(probabilities)) })];
      }),
    ) as Record<FeatureSourceName, ReturnType<typeof partView>>;
    return {
      ...head,
      split: 'feature_source' as const,
      feature_sources: { sent: views.sent.answer, looked_up: views.looked_up.answer },
      source_comparisons: binary ? sourceComparisons(views.looked_up.sides, views.sent.sides) : [],
    };
  }
}

interface ViewContext {
  task: string;
  validation: Map<number, Record<string, number>>;
  calibrations: Map<number, VersionCalibration | null>;
  maxEce: number;
  bucketMs: number;
  from: Date;
  to: Date;
}

/** The series and comparisons of one part (every prediction, or one feature source's), as the answer gives them. */
function partView(ctx: ViewContext, part: Part): { answer: { series: SeriesView[]; comparisons: unknown[] }; sides: Map<string, { view: SeriesView; side: AucSummary | null }> } {
  const bySeries = groupRows(part.extras);
  const sides = new Map<string, { view: SeriesView; side: AucSummary | null }>();
  const list: SeriesView[] = part.series.map((s) => {
    const k = `${s.version}\u0000${s.variant}`;
    const calibration = ctx.calibrations.get(s.version);
    const h = part.histograms.get(k);
    const buckets: Window[] = s.buckets.map(({ span, ...f }) => ({ ...bucketBounds(span.index, ctx.bucketMs), ...f, ...estimateFields(calibration, h?.buckets.get(span.index), ctx.maxEce) }));
    const window: Window = { ...s.whole, window_start: ctx.from.toISOString(), window_end: ctx.to.toISOString(), ...estimateFields(calibration, h?.whole, ctx.maxEce) };
    if (part.multiclass) {
      // One-vs-rest AUC per bucket comes from labelled probabilities; the whole window's is left to the buckets.
      s.buckets.forEach(({ span }, i) => (buckets[i].auc = finite(part.multiclass!.get(`${k}\u0000${span.index}`))));
      window.auc = buckets.length === 1 ? buckets[0].auc : null;
    }
    const estimate = seriesEstimate(ctx.task, calibration, ctx.maxEce);
    const view = { version: s.version, variant: s.variant, validation: ctx.validation.get(s.version) ?? {}, estimate, window, buckets, outcomes: outcomesOf(bySeries.get(k) ?? []) };
    sides.set(k, { view, side: s.side });
    return view;
  });
  return { answer: { series: list, comparisons: ctx.task === 'binary_classification' ? comparisons(list, sides) : [] }, sides };
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
function comparisons(list: readonly SeriesView[], sides: Map<string, { side: AucSummary | null }>) {
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i];
      const b = list[j];
      const sa = sides.get(`${a.version}\u0000${a.variant}`)?.side;
      const sb = sides.get(`${b.version}\u0000${b.variant}`)?.side;
      out.push(delongEntry({ a: { version: a.version, variant: a.variant, labels: labels(sa) }, b: { version: b.version, variant: b.variant, labels: labels(sb) } }, sa, sb));
    }
  }
  return out;
}

/**
 * Per series seen with either source: DeLong's test of its looked-up
 * predictions' AUC against its sent ones' (`a` looked_up minus `b` sent;
 * unpaired: different predictions). Skew between the features a model was
 * trained on and those the store serves shows as a negative difference.
 */
function sourceComparisons(lookedUp: Map<string, { view: SeriesView; side: AucSummary | null }>, sent: Map<string, { view: SeriesView; side: AucSummary | null }>) {
  const keys = [...new Set([...lookedUp.keys(), ...sent.keys()])];
  const views = keys.map((k) => (lookedUp.get(k) ?? sent.get(k))!.view);
  return views
    .map((v, i) => ({ v, k: keys[i] }))
    .sort((x, y) => x.v.version - y.v.version || (x.v.variant < y.v.variant ? -1 : x.v.variant > y.v.variant ? 1 : 0))
    .map(({ v, k }) => {
      const sa = lookedUp.get(k)?.side;
      const sb = sent.get(k)?.side;
      return {
        version: v.version,
        variant: v.variant,
        ...delongEntry({ a: { feature_source: 'looked_up', labels: labels(sa) }, b: { feature_source: 'sent', labels: labels(sb) } }, sa, sb),
      };
    });
}

const labels = (s: AucSummary | null | undefined) => (s ? s.positives + s.negatives : 0);

function delongEntry(ref: { a: object; b: object }, sa: AucSummary | null | undefined, sb: AucSummary | null | undefined): Record<string, unknown> {
  try {
    if (!sa || !sb) throw new RangeError("DeLong's test needs labels of both classes in both series");
    const r = delongUnpairedOf(sa, sb);
    return {
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
    };
  } catch (err) {
    return { ...ref, method: 'delong', p_value: null, reason: (err as Error).message };
  }
}
