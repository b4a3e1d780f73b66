import { Injectable } from '@nestjs/common';
import { bucketMsOf } from '../../monitoring/buckets/bucket-grid.js';
import { PerformanceEstimates } from '../../monitoring/performance/performance-estimates.js';
import { PerformanceReader } from '../../monitoring/performance/performance-reader.js';
import type { EstimateWindow } from '../rules/estimated-auc.js';

/** One performance bucket of a series, as alerting needs it. */
export interface PerformanceBucket {
  version: number;
  variant: string;
  windowStart: Date;
  windowEnd: Date;
  labels: number;
  auc: number | null;
  validationAuc: number | null;
}

/** A window of a series with its label count (no scores read). */
export interface LabelledWindow {
  version: number;
  variant: string;
  windowStart: Date;
  windowEnd: Date;
  labels: number;
}

/**
 * The port through which alerting reads live AUC: the monitor's
 * `PerformanceReader` (performance buckets: label counts per window, then
 * the exact AUC of a window once it is to be judged), reduced to what the
 * AUC rule judges. Windows are `window_seconds` rounded up to a minute.
 */
@Injectable()
export class PerformanceSource {
  constructor(
    private readonly reader: PerformanceReader,
    private readonly estimates: PerformanceEstimates,
  ) {}

  /**
   * Per series, the windows between `from` and `to` with scored predictions,
   * each with what the `estimated_auc` rule judges (its score histogram, the
   * version's calibration and validation AUC): no labels needed.
   */
  async estimateWindows(model: string, from: Date, to: Date, windowSeconds: number): Promise<(EstimateWindow & { version: number; variant: string; windowStart: Date; windowEnd: Date })[]> {
    const facts = await this.reader.modelFacts(model);
    if (facts?.task !== 'binary_classification') return [];
    const windows = await this.estimates.windows(model, from, to, bucketMsOf(windowSeconds));
    return windows.map((w) => {
      const auc = facts.validation.get(w.version)?.auc;
      return {
        version: w.version,
        variant: w.variant,
        windowStart: w.windowStart,
        windowEnd: w.windowEnd,
        histogram: w.histogram,
        calibration: w.calibration,
        validationAuc: typeof auc === 'number' && Number.isFinite(auc) ? auc : null,
        maxEce: this.estimates.maxEce,
      };
    });
  }

  /** Per series, the windows between `from` and `to` that hold labels. */
  async labelledWindows(model: string, from: Date, to: Date, windowSeconds: number): Promise<LabelledWindow[]> {
    const counts = await this.reader.labelCounts({ model, from, to, bucketMs: bucketMsOf(windowSeconds) });
    return counts.map((c) => ({ version: c.version, variant: c.variant, windowStart: new Date(c.span.start), windowEnd: new Date(c.span.end), labels: c.labels }));
  }

  /** One series' figures over one window. */
  async window(model: string, version: number, variant: string, windowStart: Date, windowEnd: Date): Promise<PerformanceBucket | undefined> {
    const [b] = await this.reader.windowMetrics(model, windowStart, windowEnd, (windowEnd.getTime() - windowStart.getTime()) / 1000, { version, variant });
    if (!b) return undefined;
    return { version: b.version, variant: b.variant, windowStart: new Date(b.window_start), windowEnd: new Date(b.window_end), labels: b.labels, auc: b.auc, validationAuc: b.validation_auc };
  }
}
