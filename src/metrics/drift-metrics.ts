import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics } from './metrics.js';

/** The drift gauges (PRODUCT.md "Metric names"), set from the latest window check of each series. */
export const DRIFT_METRIC_NAMES = [
  'modelgate_feature_drift_score',
  'modelgate_feature_drifted',
  'modelgate_prediction_drift_score',
  'modelgate_prediction_drifted',
  'modelgate_data_missing_rate',
  'modelgate_data_out_of_range_rate',
  'modelgate_data_unseen_rate',
] as const;

type SeriesLabels = 'model' | 'version' | 'variant';

/** The fields of a check the gauges read (a drift_checks row has them all). */
export interface GaugeSource {
  model_name: string;
  version: number;
  variant: string;
  features: { feature: string; psi: number | null; ks_statistic: number | null; chi2_p_value: number | null; js_distance: number | null; drifted: boolean }[];
  prediction: { psi: number | null; ks_statistic: number | null; chi2_p_value: number | null; js_distance: number | null; drifted: boolean } | null;
  data_quality: { feature: string; missing_rate: number; out_of_range_rate: number | null; unseen_rate: number | null }[];
}

/**
 * Registered in the application's one registry. Every replica sets them from
 * the same drift_checks rows, so a scrape of any replica shows the same
 * values (within one refresh period). `method` is the statistic the score is:
 * `psi` and `ks` (the KS statistic) for numeric columns, `js` (Jensen-Shannon
 * distance) and `chi2` (the p-value) for categorical ones.
 */
@Injectable()
export class DriftMetrics {
  readonly featureDriftScore: Gauge<SeriesLabels | 'feature' | 'method'>;
  readonly featureDrifted: Gauge<SeriesLabels | 'feature'>;
  readonly predictionDriftScore: Gauge<SeriesLabels | 'method'>;
  readonly predictionDrifted: Gauge<SeriesLabels>;
  readonly missingRate: Gauge<SeriesLabels | 'feature'>;
  readonly outOfRangeRate: Gauge<SeriesLabels | 'feature'>;
  readonly unseenRate: Gauge<SeriesLabels | 'feature'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    const s = ['model', 'version', 'variant'] as const;
    this.featureDriftScore = new Gauge({ name: 'modelgate_feature_drift_score', help: 'Drift statistic of a feature in its latest checked window.', labelNames: [...s, 'feature', 'method'], registers });
    this.featureDrifted = new Gauge({ name: 'modelgate_feature_drifted', help: '1 when the latest checked window judged the feature drifted.', labelNames: [...s, 'feature'], registers });
    this.predictionDriftScore = new Gauge({ name: 'modelgate_prediction_drift_score', help: 'Drift statistic of the prediction in its latest checked window.', labelNames: [...s, 'method'], registers });
    this.predictionDrifted = new Gauge({ name: 'modelgate_prediction_drifted', help: '1 when the latest checked window judged the prediction drifted.', labelNames: [...s], registers });
    this.missingRate = new Gauge({ name: 'modelgate_data_missing_rate', help: 'Share of missing values of a feature in its latest checked window.', labelNames: [...s, 'feature'], registers });
    this.outOfRangeRate = new Gauge({ name: 'modelgate_data_out_of_range_rate', help: "Share of a numeric feature's values outside the baseline's range in its latest checked window.", labelNames: [...s, 'feature'], registers });
    this.unseenRate = new Gauge({ name: 'modelgate_data_unseen_rate', help: "Share of a categorical feature's values unseen in the baseline in its latest checked window.", labelNames: [...s, 'feature'], registers });
  }

  /** Replaces every drift series with the given latest checks (a series no longer checked disappears). */
  setFrom(checks: readonly GaugeSource[]): void {
    for (const g of [this.featureDriftScore, this.featureDrifted, this.predictionDriftScore, this.predictionDrifted, this.missingRate, this.outOfRangeRate, this.unseenRate]) {
      (g as Gauge<string>).reset();
    }
    for (const c of checks) {
      const base = { model: c.model_name, version: String(c.version), variant: c.variant };
      for (const f of c.features) {
        for (const [method, value] of scores(f)) this.featureDriftScore.set({ ...base, feature: f.feature, method }, value);
        this.featureDrifted.set({ ...base, feature: f.feature }, f.drifted ? 1 : 0);
      }
      if (c.prediction) {
        for (const [method, value] of scores(c.prediction)) this.predictionDriftScore.set({ ...base, method }, value);
        this.predictionDrifted.set(base, c.prediction.drifted ? 1 : 0);
      }
      for (const q of c.data_quality) {
        this.missingRate.set({ ...base, feature: q.feature }, q.missing_rate);
        if (q.out_of_range_rate !== null) this.outOfRangeRate.set({ ...base, feature: q.feature }, q.out_of_range_rate);
        if (q.unseen_rate !== null) this.unseenRate.set({ ...base, feature: q.feature }, q.unseen_rate);
      }
    }
  }
}

function scores(r: { psi: number | null; ks_statistic: number | null; chi2_p_value: number | null; js_distance: number | null }): [string, number][] {
  const out: [string, number][] = [];
  if (r.psi !== null) out.push(['psi', r.psi]);
  if (r.ks_statistic !== null) out.push(['ks', r.ks_statistic]);
  if (r.js_distance !== null) out.push(['js', r.js_distance]);
  if (r.chi2_p_value !== null) out.push(['chi2', r.chi2_p_value]);
  return out;
}
