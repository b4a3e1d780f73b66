import { type BucketSpan, cellKey } from './bucket-grid.js';
import type { LabelCellRow, PredictionCellRow } from './bucket-store.js';
import { exactAucs, exactAucsBySorting, type ScoredCell } from './exact-auc.js';
import { addCounts, LABEL_BINS } from './score-histograms.js';
import { type AucSummary, aucOfGroups } from './split-auc.js';

/** One series' figures over one bucket or the whole range (JSON-ready numbers; null where undefined). */
export interface Figures {
  predictions: number;
  labels: number;
  label_rate: number | null;
  auc: number | null;
  /** How far `auc` may be from the exact AUC: 0 when read from every labelled score, else the histogram's bound. */
  auc_error_bound: number | null;
  log_loss: number | null;
  accuracy: number | null;
  positive_rate: number | null;
  /** Calibration: mean predicted score of the labelled rows, against `positive_rate` observed. */
  mean_predicted: number | null;
  /** Mean score of every prediction, labelled or not. */
  mean_score: number | null;
  rmse: number | null;
  mae: number | null;
}

export interface SeriesFigures {
  version: number;
  variant: string;
  buckets: (Figures & { span: BucketSpan })[];
  whole: Figures;
  /** AUC and DeLong's variance over the whole range (binary series with labels of both classes). */
  side: AucSummary | null;
}

class Acc {
  predictions = 0;
  scored = 0;
  scoreSumAll = 0;
  labels = 0;
  binary = 0;
  positives = 0;
  logLoss = 0;
  scoreSum = 0;
  classified = 0;
  correct = 0;
  valued = 0;
  sq = 0;
  abs = 0;
  posH: Float64Array | null = null;
  negH: Float64Array | null = null;

  addPrediction(r: PredictionCellRow): void {
    this.predictions += r.predictions;
    this.scored += r.scored;
    this.scoreSumAll += r.score_sum;
  }

  addLabels(r: LabelCellRow): void {
    this.labels += r.labels;
    this.binary += r.binary_labels;
    this.positives += r.positives;
    this.logLoss += r.log_loss_sum;
    this.scoreSum += r.score_sum;
    this.classified += r.classified;
    this.correct += r.correct;
    this.valued += r.valued;
    this.sq += r.sq_error_sum;
    this.abs += r.abs_error_sum;
    if (r.pos_histogram) addCounts((this.posH ??= new Float64Array(LABEL_BINS)), r.pos_histogram);
    if (r.neg_histogram) addCounts((this.negH ??= new Float64Array(LABEL_BINS)), r.neg_histogram);
  }

  get empty(): boolean {
    return this.predictions === 0 && this.labels === 0;
  }

  /** AUC from the labelled-score histograms (ranges past an hour; exact ones come from `exactAucs`). */
  binnedAuc(task: string): AucSummary | null {
    if (task !== 'binary_classification') return null;
    const P = this.posH ?? new Float64Array(LABEL_BINS);
    const N = this.negH ?? new Float64Array(LABEL_BINS);
    return aucOfGroups(P, N, true);
  }

  figures(task: string, auc: AucSummary | null): Figures {
    const binary = task === 'binary_classification';
    const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
    return {
      predictions: this.predictions,
      labels: this.labels,
      label_rate: ratio(this.labels, this.predictions),
      auc: auc && Number.isFinite(auc.auc) ? auc.auc : null,
      auc_error_bound: auc && Number.isFinite(auc.auc) ? auc.errorBound : null,
      log_loss: binary ? ratio(this.logLoss, this.binary) : null,
      accuracy: task === 'regression' ? null : ratio(this.correct, this.classified),
      positive_rate: binary ? ratio(this.positives, this.binary) : null,
      mean_predicted: binary ? ratio(this.scoreSum, this.binary) : null,
      mean_score: ratio(this.scoreSumAll, this.scored),
      rmse: this.valued > 0 ? Math.sqrt(this.sq / this.valued) : null,
      mae: ratio(this.abs, this.valued),
    };
  }
}

/**
 * Sums the cells of each series into its buckets and the whole range.
 * `exact`: label rows carry every labelled score (AUC and DeLong exact);
 * otherwise they carry histograms (AUC within `auc_error_bound`).
 * Buckets with neither predictions nor labels are left out.
 */
export function seriesFigures(
  spans: readonly BucketSpan[],
  predictions: readonly PredictionCellRow[],
  labels: readonly LabelCellRow[],
  task: string,
  exact: boolean,
): SeriesFigures[] {
  const series = new Map<string, { version: number; variant: string; pred: Map<string, PredictionCellRow[]>; lab: Map<string, LabelCellRow[]> }>();
  const of = (version: number, variant: string) => {
    const k = `${version}\u0000${variant}`;
    let s = series.get(k);
    if (!s) series.set(k, (s = { version, variant, pred: new Map(), lab: new Map() }));
    return s;
  };
  // A cell may hold a row per feature source (and prediction rows one per replica too): summed here unless the caller split them.
  for (const r of predictions) pushTo(of(r.version, r.variant).pred, cellKey(r.grain, r.bucket_start.getTime()), r);
  for (const r of labels) pushTo(of(r.version, r.variant).lab, cellKey(r.grain, r.bucket_start.getTime()), r);

  const scored = exact && task === 'binary_classification';
  const out: SeriesFigures[] = [];
  for (const s of [...series.values()].sort((a, b) => a.version - b.version || (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0))) {
    const whole = new Acc();
    const accs: Acc[] = [];
    const cells: ScoredCell[] = [];
    spans.forEach((span, bucket) => {
      const acc = new Acc();
      for (const c of span.cells) {
        const k = cellKey(c.grain, c.start);
        for (const r of s.pred.get(k) ?? []) {
          acc.addPrediction(r);
          whole.addPrediction(r);
        }
        for (const l of s.lab.get(k) ?? []) {
          acc.addLabels(l);
          whole.addLabels(l);
          if (scored) cells.push({ bucket, pos: l.pos_scores, neg: l.neg_scores });
        }
      }
      accs.push(acc);
    });
    // Exact: every bucket's and the whole range's AUC from one sort of every labelled score.
    const aucs = scored ? (exactAucs(cells, spans.length) ?? exactAucsBySorting(cells, spans.length)) : null;
    const buckets: SeriesFigures['buckets'] = [];
    accs.forEach((acc, i) => {
      if (!acc.empty) buckets.push({ ...acc.figures(task, aucs ? aucs.buckets[i] : exact ? null : acc.binnedAuc(task)), span: spans[i] });
    });
    const side = aucs ? aucs.whole : exact ? null : whole.binnedAuc(task);
    out.push({ version: s.version, variant: s.variant, buckets, whole: whole.figures(task, side), side: side && Number.isFinite(side.auc) ? side : null });
  }
  return out;
}

/** Appends `row` to the list `map` holds under `key`. */
function pushTo<R>(map: Map<string, R[]>, key: string, row: R): void {
  const list = map.get(key);
  if (list) list.push(row);
  else map.set(key, [row]);
}
