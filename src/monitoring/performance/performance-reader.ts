import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { type BucketSpan, bucketSpans, EXACT_RANGE_MS, MINUTE_MS } from '../buckets/bucket-grid.js';
import { type Figures, type SeriesFigures, seriesFigures } from '../buckets/bucket-figures.js';
import { BucketStore, copyOutOf, type SeriesFilter } from '../buckets/bucket-store.js';
import { giveBack } from '../buckets/binary-copy.js';
import { addCounts, SCORE_BINS } from '../buckets/score-histograms.js';
import { rocAucOvr } from '../stats/roc-auc.js';
import { FEATURE_SOURCES, type FeatureSourceName, featureSourceName } from '../telemetry/feature-source.js';
import { uuidFloor } from '../telemetry/partition-bounds.js';
import { QueryTimeout } from './performance.errors.js';
import { bucketBounds, finite } from './performance-math.js';

export type Task = 'binary_classification' | 'multiclass_classification' | 'regression' | string;

/** What the registry knows of a model that performance needs: read from its tables, not through its services (monitoring sits beside the registry). */
export interface ModelFacts {
  task: Task;
  policy: Record<string, unknown>;
  /** Registered validation metrics per version. */
  validation: Map<number, Record<string, number>>;
}

export interface WindowQuery extends SeriesFilter {
  model: string;
  from: Date;
  to: Date;
  /** Bucket length in ms: a whole number of minutes. */
  bucketMs: number;
}

/** One series (model, version, variant) over one bucket: the bucket's figures, with where and what they are of. */
export interface BucketMetrics extends Figures {
  model: string;
  version: number;
  variant: string;
  window_start: string;
  window_end: string;
  validation_auc: number | null;
}

export interface RangeRead {
  /** The range widened to whole minutes (the buckets' resolution). */
  from: Date;
  to: Date;
  /** Every figure from every labelled score (ranges up to an hour), or from histograms. */
  exact: boolean;
  series: SeriesFigures[];
}

/** A range read split by feature source: the same figures computed apart for each source's rows. */
export interface SplitRangeRead extends Omit<RangeRead, 'series'> {
  bySource: Record<FeatureSourceName, SeriesFigures[]>;
}

/** A labelled row with what buckets cannot hold: business outcomes, multiclass probabilities. */
export interface LabelledExtra {
  version: number;
  variant: string;
  /** 0 sent, 1 looked up (feature-source.ts). */
  feature_source: number;
  created_at: Date;
  truth: string | null;
  probabilities: Record<string, number> | null;
  outcomes: Record<string, number> | null;
}

/** SQLSTATE 57014: the statement was cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';
const ID_MARGIN_MS = 60_000;

/**
 * Live performance read from buckets, never from the prediction log:
 * counts and sums per series, minute and hour (prediction buckets flushed
 * by every replica, label buckets added to as labels join), labelled
 * scores for exact AUC and DeLong over ranges up to an hour, labelled
 * score histograms beyond. Every read runs under
 * `MODELGATE_QUERY_TIMEOUT_MS`; past it, QUERY_TIMEOUT (503).
 */
@Injectable()
export class PerformanceReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: BucketStore,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Undefined when the model does not exist. */
  async modelFacts(model: string): Promise<ModelFacts | undefined> {
    const rows: { task: string; policy: Record<string, unknown>; version: number | null; metrics: Record<string, number> | null }[] = await this.bounded((em) =>
      em.query(
        `SELECT m.task, m.monitoring_policy AS policy, v.version, v.metrics
         FROM models m LEFT JOIN model_versions v ON v.model_id = m.id WHERE m.name = $1`,
        [model],
      ),
    );
    if (rows.length === 0) return undefined;
    const validation = new Map<number, Record<string, number>>();
    for (const r of rows) if (r.version !== null) validation.set(r.version, r.metrics ?? {});
    return { task: rows[0].task, policy: rows[0].policy ?? {}, validation };
  }

  /** Per series: buckets and the whole range, exact up to an hour. */
  async read(q: WindowQuery, facts: ModelFacts): Promise<RangeRead> {
    const { parts, ...range } = await this.readParts(q, facts, false);
    return { ...range, series: parts[0] };
  }

  /** `read` per feature source (`sent`, `looked_up`): one read of the cells, their rows summed apart. */
  async readBySource(q: WindowQuery, facts: ModelFacts): Promise<SplitRangeRead> {
    const { parts, ...range } = await this.readParts(q, facts, true);
    return { ...range, bySource: { sent: parts[0], looked_up: parts[1] } };
  }

  private async readParts(q: WindowQuery, facts: ModelFacts, split: boolean): Promise<Omit<RangeRead, 'series'> & { parts: SeriesFigures[][] }> {
    const spans = bucketSpans(q.from.getTime(), q.to.getTime(), q.bucketMs);
    const from = spans.length ? Math.max(spans[0].start, floorMinute(q.from.getTime())) : q.from.getTime();
    const to = spans.length ? Math.min(spans[spans.length - 1].end, ceilMinute(q.to.getTime())) : q.to.getTime();
    const exact = to - from <= EXACT_RANGE_MS;
    // Labelled scores are kept per minute only: an exact read covers its range with minutes.
    const used = exact ? spans.map((s) => ({ ...s, cells: toMinutes(s.cells) })) : spans;
    const cells = used.flatMap((s) => s.cells);
    // The scores' COPY lands in leased buffers: given back once the figures are computed (nothing points into them after).
    const leased: Buffer[] = [];
    try {
      const [predictions, labels] = await this.bounded((em) =>
        Promise.all([
          this.store.predictionCells(q.model, cells, q, false, (sql, p) => em.query(sql, p)),
          this.store.labelCells(q.model, cells, q, exact ? 'scores' : 'histograms', (sql, p) => em.query(sql, p), copyOutOf(em, leased)),
        ]),
      );
      const parts = split
        ? FEATURE_SOURCES.map((name) =>
            seriesFigures(used, predictions.filter((r) => featureSourceName(r.feature_source) === name), labels.filter((r) => featureSourceName(r.feature_source) === name), facts.task, exact),
          )
        : [seriesFigures(used, predictions, labels, facts.task, exact)];
      return { from: new Date(from), to: new Date(to), exact, parts };
    } finally {
      leased.forEach(giveBack);
    }
  }

  /**
   * Per series and bucket between `from` and `to`: counts, AUC, log loss,
   * accuracy, RMSE, MAE, and the validation AUC registered with the
   * version. Series without predictions or labels are absent.
   */
  async metrics(q: WindowQuery, facts: ModelFacts): Promise<BucketMetrics[]> {
    const r = await this.read(q, facts);
    const multiclass = facts.task === 'multiclass_classification' ? multiclassAuc(await this.extras(q, 'probabilities'), q.bucketMs) : undefined;
    return r.series.flatMap((s) =>
      s.buckets.map((b) => {
        const auc = multiclass ? (multiclass.get(`${s.version}\u0000${s.variant}\u0000${b.span.index}`) ?? null) : b.auc;
        const { span, ...figures } = b;
        return {
          model: q.model,
          version: s.version,
          variant: s.variant,
          ...bucketBounds(span.index, q.bucketMs),
          ...figures,
          auc: finite(auc),
          validation_auc: finite(facts.validation.get(s.version)?.auc),
        };
      }),
    );
  }

  /** `windowMetrics` as alerting reads it: buckets of `bucketSeconds` (rounded up to a minute). */
  async windowMetrics(model: string, from: Date, to: Date, bucketSeconds: number, filter: SeriesFilter = {}): Promise<BucketMetrics[]> {
    const facts = await this.modelFacts(model);
    if (!facts) return [];
    return this.metrics({ model, from, to, bucketMs: Math.max(1, Math.ceil(bucketSeconds / 60)) * MINUTE_MS, ...filter }, facts);
  }

  /** Labels per series and bucket (no scores read): which windows have enough labels to be judged. */
  async labelCounts(q: WindowQuery): Promise<{ version: number; variant: string; span: BucketSpan; labels: number }[]> {
    const spans = bucketSpans(q.from.getTime(), q.to.getTime(), q.bucketMs);
    const rows = await this.bounded((em) => this.store.labelCells(q.model, spans.flatMap((s) => s.cells), q, 'counts', (sql, p) => em.query(sql, p)));
    return seriesFigures(spans, [], rows, 'count', false).flatMap((s) => s.buckets.map((b) => ({ version: s.version, variant: s.variant, span: b.span, labels: b.labels })));
  }

  /**
   * The 1,000-bin histogram (equal bins of [0, 1]) of every prediction score
   * of a binary series over [from, to), summed over replicas, minutes and
   * hours: what confidence-based performance estimation reads.
   */
  async predictionScoreHistogram(model: string, version: number, variant: string, from: Date, to: Date): Promise<{ predictions: number; scored: number; bins: number[] }> {
    const spans = bucketSpans(from.getTime(), to.getTime(), to.getTime() - from.getTime() + MINUTE_MS);
    const rows = await this.bounded((em) => this.store.predictionCells(model, spans.flatMap((s) => s.cells), { version, variant }, true, (sql, p) => em.query(sql, p)));
    const bins = new Float64Array(SCORE_BINS);
    let predictions = 0;
    let scored = 0;
    for (const r of rows) {
      predictions += r.predictions;
      scored += r.scored;
      addCounts(bins, r.score_histogram);
    }
    return { predictions, scored, bins: Array.from(bins) };
  }

  /**
   * Per series, the 1,000-bin prediction-score histogram of each bucket of
   * `q` and of the whole range, in one read (binary series only keep them):
   * what per-bucket CBPE estimates read. Keyed by version NUL variant, and
   * with `split` NUL feature source name (`sent`, `looked_up`).
   */
  async scoreHistograms(q: WindowQuery, split = false): Promise<Map<string, { version: number; variant: string; whole: Float64Array; buckets: Map<number, Float64Array> }>> {
    const spans = bucketSpans(q.from.getTime(), q.to.getTime(), q.bucketMs);
    const spanOf = new Map<string, number>();
    for (const s of spans) for (const c of s.cells) spanOf.set(`${c.grain}:${c.start}`, s.index);
    const rows = await this.bounded((em) => this.store.predictionCells(q.model, spans.flatMap((s) => s.cells), q, true, (sql, p) => em.query(sql, p)));
    const out = new Map<string, { version: number; variant: string; whole: Float64Array; buckets: Map<number, Float64Array> }>();
    for (const r of rows) {
      if (!r.score_histogram) continue;
      const index = spanOf.get(`${r.grain}:${new Date(r.bucket_start).getTime()}`);
      if (index === undefined) continue;
      const k = split ? `${r.version}\u0000${r.variant}\u0000${featureSourceName(r.feature_source)}` : `${r.version}\u0000${r.variant}`;
      let s = out.get(k);
      if (!s) out.set(k, (s = { version: r.version, variant: r.variant, whole: new Float64Array(SCORE_BINS), buckets: new Map() }));
      let b = s.buckets.get(index);
      if (!b) s.buckets.set(index, (b = new Float64Array(SCORE_BINS)));
      addCounts(b, r.score_histogram);
      addCounts(s.whole, r.score_histogram);
    }
    return out;
  }

  /**
   * Every labelled prediction of a series in the range, one row each (score,
   * label, value): what a rollout's DeLong or Welch test needs whole. Read
   * from the slim labelled table, so it grows with labels, never with
   * predictions.
   */
  async labelledRows(q: { model: string; version: number; variant?: string; from: Date; to: Date }): Promise<
    { variant: string; score: number | null; truth: string | null; truth_value: number | null }[]
  > {
    const lo = uuidFloor(Math.max(0, q.from.getTime() - ID_MARGIN_MS));
    const hi = uuidFloor(q.to.getTime() + ID_MARGIN_MS);
    return this.bounded((em) =>
      em.query(
        `SELECT variant, score, label AS truth, value AS truth_value FROM labelled_predictions
          WHERE model_name = $1 AND version = $2 AND ($3::text IS NULL OR variant = $3) AND created_at >= $4 AND created_at < $5
            AND prediction_id >= '${lo}'::uuid AND prediction_id < '${hi}'::uuid`,
        [q.model, q.version, q.variant ?? null, q.from, q.to],
      ),
    );
  }

  /** Labelled rows carrying outcomes or probabilities in the range (read row by row: they grow with such labels only). */
  async extras(q: WindowQuery, what: 'outcomes' | 'probabilities', limit = 2_000_000): Promise<LabelledExtra[]> {
    const lo = uuidFloor(Math.max(0, q.from.getTime() - ID_MARGIN_MS));
    const hi = uuidFloor(q.to.getTime() + ID_MARGIN_MS);
    return this.bounded((em) =>
      em.query(
        `SELECT version, variant, feature_source, created_at, label AS truth, probabilities, outcomes FROM labelled_predictions
          WHERE model_name = $1 AND ${what} IS NOT NULL AND created_at >= $2 AND created_at < $3
            AND prediction_id >= '${lo}'::uuid AND prediction_id < '${hi}'::uuid
            AND ($4::int IS NULL OR version = $4) AND ($5::text IS NULL OR variant = $5)
          LIMIT ${Math.floor(limit)}`,
        [q.model, q.from, q.to, q.version ?? null, q.variant ?? null],
      ),
    );
  }

  /** Runs reads in one read-only transaction under the statement timeout; a cancelled read is QUERY_TIMEOUT. */
  private async bounded<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const ms = this.config.monitoring.queryTimeoutMs;
    try {
      return await this.dataSource.transaction(async (em) => {
        await em.query(`SET LOCAL statement_timeout = ${Math.floor(ms)}`);
        return fn(em);
      });
    } catch (err) {
      const e = err as { code?: string; driverError?: { code?: string }; message?: string };
      if (e.code === QUERY_CANCELED || e.driverError?.code === QUERY_CANCELED || /Query read timeout/.test(e.message ?? '')) throw new QueryTimeout(ms);
      throw err;
    }
  }
}

const floorMinute = (t: number) => Math.floor(t / MINUTE_MS) * MINUTE_MS;
const ceilMinute = (t: number) => Math.ceil(t / MINUTE_MS) * MINUTE_MS;

function toMinutes<T extends { grain: number; start: number }>(cells: readonly T[]): { grain: number; start: number }[] {
  return cells.flatMap((c) => (c.grain === 60 ? [c] : Array.from({ length: c.grain / 60 }, (_, i) => ({ grain: 60, start: c.start + i * MINUTE_MS }))));
}

/** One-vs-rest macro AUC per series and bucket index, classes named by the probabilities' keys (the predict answer's labels). */
export function multiclassAuc(rows: readonly LabelledExtra[], bucketMs: number): Map<string, number> {
  const groups = new Map<string, LabelledExtra[]>();
  for (const r of rows) {
    if (!r.probabilities || r.truth === null) continue;
    const key = `${r.version}\u0000${r.variant}\u0000${Math.floor(new Date(r.created_at).getTime() / bucketMs)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const out = new Map<string, number>();
  for (const [key, g] of groups) {
    const classes = [...new Set(g.flatMap((r) => Object.keys(r.probabilities!)))].sort();
    const index = new Map(classes.map((c, i) => [c, i]));
    const labels: number[] = [];
    const scores: number[] = [];
    for (const r of g) {
      const y = index.get(r.truth!);
      if (y === undefined) continue;
      labels.push(y);
      for (const c of classes) scores.push(r.probabilities![c] ?? 0);
    }
    out.set(key, rocAucOvr(labels, scores, classes.length).auc);
  }
  return out;
}
