import { Injectable } from '@nestjs/common';
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

/**
 * The port through which alerting reads live AUC: the monitor's
 * `PerformanceReader.windowMetrics` (prediction log joined with labels, per
 * series and bucket), reduced to what the AUC rule judges.
 */
@Injectable()
export class PerformanceSource {
  constructor(private readonly reader: PerformanceReader) {}

  async windows(model: string, from: Date, to: Date, bucketSeconds: number): Promise<PerformanceBucket[]> {
    const buckets = await this.reader.windowMetrics(model, from, to, bucketSeconds);
    return buckets.map((b) => ({
      version: b.version,
      variant: b.variant,
      windowStart: new Date(b.window_start),
      windowEnd: new Date(b.window_end),
      labels: b.labels,
      auc: b.auc,
      validationAuc: b.validation_auc,
    }));
  }
}
