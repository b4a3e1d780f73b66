import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import type { VersionCalibration } from '../estimate/calibration.js';
import { type PerformanceEstimate, estimatePerformance } from '../estimate/cbpe.js';
import { VersionBaselines } from '../live/version-baselines.js';
import { PerformanceReader } from './performance-reader.js';

/** One series' estimate over one window, from its scores alone. */
export interface WindowEstimate {
  version: number;
  variant: string;
  windowStart: Date;
  windowEnd: Date;
  histogram: Float64Array;
  calibration: VersionCalibration | null;
  estimate: PerformanceEstimate | null;
}

/**
 * Where CBPE meets the buckets: a model's per-window prediction-score
 * histograms (PerformanceReader) and its versions' calibrations
 * (VersionBaselines), under `MODELGATE_CBPE_MAX_ECE`. What the gauges, the
 * `estimated_auc` rule and the performance answer read.
 */
@Injectable()
export class PerformanceEstimates {
  constructor(
    private readonly reader: PerformanceReader,
    private readonly baselines: VersionBaselines,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  get maxEce(): number {
    return this.config.monitoring.cbpeMaxEce;
  }

  /** Calibration per version (null: none, or the version is gone). */
  async calibrations(model: string, versions: Iterable<number>): Promise<Map<number, VersionCalibration | null>> {
    const out = new Map<number, VersionCalibration | null>();
    for (const v of new Set(versions)) out.set(v, (await this.baselines.calibration(model, v)) ?? null);
    return out;
  }

  /**
   * Per series with scored predictions, each window of `windowMs` between
   * `from` and `to` (epoch-aligned, whole windows) with its histogram and
   * estimate (null where the calibration refuses or the window expects no AUC
   * is kept: `estimate.estimated_auc` is then null).
   */
  async windows(model: string, from: Date, to: Date, windowMs: number, filter: { version?: number; variant?: string } = {}): Promise<WindowEstimate[]> {
    const hists = await this.reader.scoreHistograms({ model, from, to, bucketMs: windowMs, ...filter });
    const calibrations = await this.calibrations(model, [...hists.values()].map((h) => h.version));
    const out: WindowEstimate[] = [];
    for (const s of hists.values()) {
      const calibration = calibrations.get(s.version) ?? null;
      for (const [index, histogram] of s.buckets) {
        const e = estimatePerformance(calibration, histogram, { maxEce: this.maxEce });
        out.push({
          version: s.version,
          variant: s.variant,
          windowStart: new Date(index * windowMs),
          windowEnd: new Date((index + 1) * windowMs),
          histogram,
          calibration,
          estimate: e.estimated ? e : null,
        });
      }
    }
    return out.sort((a, b) => a.windowStart.getTime() - b.windowStart.getTime());
  }
}
