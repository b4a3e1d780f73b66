import { Injectable } from '@nestjs/common';
import { bucketMsOf } from '../../monitoring/buckets/bucket-grid.js';
import { PerformanceReader } from '../../monitoring/performance/performance-reader.js';

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
  constructor(private readonly reader: PerformanceReader) {}

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
