import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rocAucOvr } from '../stats/roc-auc.js';
import { aucFromRankSum, bucketBounds, finite } from './performance-math.js';
import { labelledRowsSql, metricsSql, type WindowQuery, windowParams } from './performance-sql.js';

export type Task = 'binary_classification' | 'multiclass_classification' | 'regression' | string;

/** What the registry knows of a model that performance needs: read from its tables, not through its services (monitoring sits beside the registry). */
export interface ModelFacts {
  task: Task;
  policy: Record<string, unknown>;
  /** Registered validation metrics per version. */
  validation: Map<number, Record<string, number>>;
}

/** One series (model, version, variant) over one bucket. */
export interface BucketMetrics {
  model: string;
  version: number;
  variant: string;
  window_start: string;
  window_end: string;
  predictions: number;
  labels: number;
  label_rate: number | null;
  auc: number | null;
  log_loss: number | null;
  accuracy: number | null;
  /** Share of labels that are positive (binary). */
  positive_rate: number | null;
  /** Calibration: mean predicted score of the labelled rows, against `positive_rate` observed. */
  mean_predicted: number | null;
  rmse: number | null;
  mae: number | null;
  validation_auc: number | null;
}

interface MetricsRow {
  version: number;
  variant: string;
  bucket: string;
  predictions: number;
  labels: number;
  binary_labels: number;
  positives: number | null;
  positive_rank_sum: number | null;
  log_loss: number | null;
  accuracy: number | null;
  positive_rate: number | null;
  mean_predicted: number | null;
  rmse: number | null;
  mae: number | null;
}

export interface LabelledRow {
  version: number;
  variant: string;
  bucket: string;
  score: number | null;
  truth: string | null;
  truth_value: number | null;
  probabilities: Record<string, number> | null;
  outcomes: Record<string, number> | null;
}

/**
 * Live performance from the prediction log joined with labels, per series
 * and time bucket (bucketed by prediction time, aligned to the epoch). The
 * alerting engine calls `windowMetrics`; the performance API builds on the
 * same queries.
 */
@Injectable()
export class PerformanceReader {
  constructor(private readonly dataSource: DataSource) {}

  /** Undefined when the model does not exist. */
  async modelFacts(model: string): Promise<ModelFacts | undefined> {
    const rows: { task: string; policy: Record<string, unknown>; version: number | null; metrics: Record<string, number> | null }[] =
      await this.dataSource.query(
        `SELECT m.task, m.monitoring_policy AS policy, v.version, v.metrics
         FROM models m LEFT JOIN model_versions v ON v.model_id = m.id WHERE m.name = $1`,
        [model],
      );
    if (rows.length === 0) return undefined;
    const validation = new Map<number, Record<string, number>>();
    for (const r of rows) if (r.version !== null) validation.set(r.version, r.metrics ?? {});
    return { task: rows[0].task, policy: rows[0].policy ?? {}, validation };
  }

  /**
   * Per series and bucket of `bucketSeconds` between `from` and `to`: record
   * and label counts, AUC, log loss, accuracy, RMSE, MAE, and the validation
   * AUC registered with the version. Series without any record are absent.
   */
  async windowMetrics(model: string, from: Date, to: Date, bucketSeconds: number, filter: { version?: number; variant?: string } = {}): Promise<BucketMetrics[]> {
    const facts = await this.modelFacts(model);
    if (!facts) return [];
    return this.metrics({ model, from, to, bucketMs: bucketSeconds * 1000, ...filter }, facts);
  }

  async metrics(q: WindowQuery, facts: ModelFacts): Promise<BucketMetrics[]> {
    const rows: MetricsRow[] = await this.dataSource.query(metricsSql(q), windowParams(q));
    const multiclass = facts.task === 'multiclass_classification' ? multiclassAuc(await this.labelledRows(q)) : undefined;
    return rows.map((r) => {
      const auc = multiclass ? multiclass.get(`${r.version}\u0000${r.variant}\u0000${r.bucket}`) : aucFromRankSum(r.positives ?? 0, r.binary_labels, r.positive_rank_sum ?? 0);
      const validationAuc = facts.validation.get(r.version)?.auc;
      return {
        model: q.model,
        version: r.version,
        variant: r.variant,
        ...bucketBounds(Number(r.bucket), q.bucketMs),
        predictions: r.predictions,
        labels: r.labels,
        label_rate: r.predictions ? r.labels / r.predictions : null,
        auc: finite(auc),
        log_loss: facts.task === 'binary_classification' ? finite(r.log_loss) : null,
        accuracy: facts.task === 'regression' ? null : finite(r.accuracy),
        positive_rate: facts.task === 'binary_classification' ? finite(r.positive_rate) : null,
        mean_predicted: facts.task === 'binary_classification' ? finite(r.mean_predicted) : null,
        rmse: finite(r.rmse),
        mae: finite(r.mae),
        validation_auc: finite(validationAuc),
      };
    });
  }

  /** Every labelled record of the window (DeLong, multiclass AUC, outcomes); `limit` bounds what is read. */
  async labelledRows(q: WindowQuery, limit = 2_000_000): Promise<LabelledRow[]> {
    return this.dataSource.query(`${labelledRowsSql(q)} LIMIT ${Math.floor(limit)}`, windowParams(q));
  }
}

/** One-vs-rest macro AUC per series and bucket, classes named by the probabilities' keys (the predict answer's labels). */
function multiclassAuc(rows: readonly LabelledRow[]): Map<string, number> {
  const groups = new Map<string, LabelledRow[]>();
  for (const r of rows) {
    if (!r.probabilities || r.truth === null) continue;
    const key = `${r.version}\u0000${r.variant}\u0000${r.bucket}`;
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
