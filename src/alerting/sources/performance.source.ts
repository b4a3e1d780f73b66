import { Injectable } from '@nestjs/common';

/** One performance bucket of a series, as the feedback reader answers `windowMetrics`. */
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
 * The port through which alerting reads live AUC. The feedback engineer's
 * `windowMetrics(model, from, to, bucketSeconds)` answers it once their
 * branch is merged; until then no labels exist and there is nothing to read.
 */
@Injectable()
export class PerformanceSource {
  async windows(_model: string, _from: Date, _to: Date, _bucketSeconds: number): Promise<PerformanceBucket[]> {
    return [];
  }
}
