import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { PerformanceEstimate } from '../monitoring/estimate/cbpe.js';
import { Metrics } from './metrics.js';

/** The CBPE gauges: the estimated AUC of a series' latest window, before its labels, and its 95% band. */
export const ESTIMATE_METRIC_NAMES = ['modelgate_model_estimated_auc', 'modelgate_model_estimated_auc_low', 'modelgate_model_estimated_auc_high'] as const;

type SeriesLabels = 'model' | 'version' | 'variant';

export interface EstimatedSeries {
  model: string;
  version: number;
  variant: string;
  estimate: PerformanceEstimate;
}

/**
 * Estimates are marked as such by their names: `modelgate_model_auc` is
 * realised from labels, `modelgate_model_estimated_auc` is expected from
 * scores alone (a series whose version cannot be estimated has none).
 */
@Injectable()
export class EstimateMetrics {
  readonly estimatedAuc: Gauge<SeriesLabels>;
  readonly estimatedAucLow: Gauge<SeriesLabels>;
  readonly estimatedAucHigh: Gauge<SeriesLabels>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    const labelNames = ['model', 'version', 'variant'] as const;
    this.estimatedAuc = new Gauge({
      name: 'modelgate_model_estimated_auc',
      help: "Estimated ROC AUC (CBPE, from the scores alone, before labels) of the series' latest window; an estimate, not a measurement.",
      labelNames,
      registers,
    });
    this.estimatedAucLow = new Gauge({ name: 'modelgate_model_estimated_auc_low', help: 'Lower end of the 95% band of modelgate_model_estimated_auc.', labelNames, registers });
    this.estimatedAucHigh = new Gauge({ name: 'modelgate_model_estimated_auc_high', help: 'Upper end of the 95% band of modelgate_model_estimated_auc.', labelNames, registers });
  }

  /** Replaces every estimate series (one that is no longer estimated disappears). */
  setFrom(series: readonly EstimatedSeries[]): void {
    for (const g of [this.estimatedAuc, this.estimatedAucLow, this.estimatedAucHigh]) g.reset();
    for (const s of series) {
      const auc = s.estimate.estimated_auc;
      if (auc === null) continue;
      const labels = { model: s.model, version: String(s.version), variant: s.variant };
      this.estimatedAuc.set(labels, auc.value);
      this.estimatedAucLow.set(labels, auc.low);
      this.estimatedAucHigh.set(labels, auc.high);
    }
  }
}
