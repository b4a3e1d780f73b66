import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { LeaderElection } from '../../database/leader-election.js';
import { type EstimatedSeries, EstimateMetrics } from '../../metrics/estimate-metrics.js';
import { Metrics } from '../../metrics/metrics.js';
import { bucketMsOf } from '../buckets/bucket-grid.js';
import { resolvePolicy } from '../drift/monitoring-policy.js';
import { aucBarPolicy, aucBelowBar } from './performance-math.js';
import { PerformanceEstimates, type WindowEstimate } from './performance-estimates.js';
import { PerformanceReader } from './performance-reader.js';

/** How often the leader recomputes the gauges (labels show within this, plus a flush), and how far back it looks for windows with labels. */
export const GAUGE_PERIOD_MS = 15 * 1000;
export const LABEL_LOOKBACK_MS = 48 * 60 * 60 * 1000;
/** How many windows back the estimated-AUC gauges look for the latest one with scored predictions. */
export const ESTIMATE_LOOKBACK_WINDOWS = 12;

/**
 * `modelgate_model_auc` and friends, recomputed by the elected leader for
 * each series' latest monitoring window (`window_seconds`, by prediction
 * time) that has `min_labels` labels (else its latest window with labels,
 * not judged), within the last 48 hours: labels arrive late, and a late
 * label counts in its prediction's window.
 * `modelgate_model_auc_window_start_seconds` says which window the gauges
 * show. Read from buckets (exact); one replica reads them, not
 * every one, so only the leader exports these series (alert rules should
 * aggregate with `max by (model, version, variant)`); a replica that steps
 * down clears them so a stale leader never exports old numbers.
 *
 * `modelgate_model_estimated_auc` (and `_low`, `_high`): CBPE's estimate
 * for each binary series whose version's calibration allows one, from the
 * scores of its latest ended window with scored predictions in the last 12
 * windows (else of the window in progress), labels or not.
 */
@Injectable()
export class PerformanceGauges implements OnModuleInit {
  private readonly logger: Logger;
  readonly auc: Gauge<'model' | 'version' | 'variant'>;
  readonly validationAuc: Gauge<'model' | 'version'>;
  readonly labels: Gauge<'model' | 'version' | 'variant'>;
  readonly belowBar: Gauge<'model' | 'version' | 'variant'>;
  readonly windowStart: Gauge<'model' | 'version' | 'variant'>;

  constructor(
    metrics: Metrics,
    private readonly reader: PerformanceReader,
    private readonly dataSource: DataSource,
    private readonly election: LeaderElection,
    private readonly estimates: PerformanceEstimates,
    private readonly estimateMetrics: EstimateMetrics,
    @InjectLogger() logger: Logger,
  ) {
    this.logger = logger.child({ component: 'performance-gauges' });
    const registers = [metrics.registry];
    this.auc = new Gauge({ name: 'modelgate_model_auc', help: 'Live ROC AUC of the latest window with min_labels labels (see modelgate_model_auc_window_start_seconds), per series.', labelNames: ['model', 'version', 'variant'], registers });
    this.windowStart = new Gauge({
      name: 'modelgate_model_auc_window_start_seconds',
      help: 'Start (Unix seconds) of the monitoring window that modelgate_model_auc and modelgate_model_labels_total show, per series.',
      labelNames: ['model', 'version', 'variant'],
      registers,
    });
    this.validationAuc = new Gauge({ name: 'modelgate_model_validation_auc', help: 'Validation AUC registered with the version.', labelNames: ['model', 'version'], registers });
    this.labels = new Gauge({ name: 'modelgate_model_labels_total', help: 'Labels joined with predictions of the window the AUC gauge shows, per series.', labelNames: ['model', 'version', 'variant'], registers });
    this.belowBar = new Gauge({
      name: 'modelgate_model_auc_below_bar',
      help: '1 when live AUC is under auc_min (or the validation AUC minus auc_margin) with at least min_labels labels; absent when it cannot be judged.',
      labelNames: ['model', 'version', 'variant'],
      registers,
    });
  }

  onModuleInit(): void {
    this.election.every({ name: 'performance-gauges', periodMs: GAUGE_PERIOD_MS, run: () => this.refresh() });
    this.election.onChange((leading) => {
      if (!leading) this.clear();
    });
  }

  private clear(): void {
    for (const g of [this.auc, this.validationAuc, this.labels, this.belowBar, this.windowStart]) g.reset();
    this.estimateMetrics.setFrom([]);
  }

  /** Recomputes every gauge from the buckets (the leader's job; tests call it directly). */
  async refresh(now = Date.now()): Promise<void> {
    const models: { name: string }[] = await this.dataSource.query(`SELECT name FROM models ORDER BY name`);
    const next: (() => void)[] = [];
    const estimated: EstimatedSeries[] = [];
    for (const { name } of models) {
      const facts = await this.reader.modelFacts(name);
      if (!facts) continue;
      for (const [version, metrics] of facts.validation) {
        if (typeof metrics.auc === 'number') next.push(() => this.validationAuc.set({ model: name, version: String(version) }, metrics.auc));
      }
      const policy = aucBarPolicy(facts.policy);
      const windowMs = bucketMsOf(resolvePolicy(facts.policy).windowSeconds);
      if (facts.task === 'binary_classification') {
        const current = Math.floor(now / windowMs) * windowMs;
        const windows = await this.estimates.windows(name, new Date(current - ESTIMATE_LOOKBACK_WINDOWS * windowMs), new Date(now), windowMs);
        for (const w of latestEstimates(windows, current)) estimated.push({ model: name, version: w.version, variant: w.variant, estimate: w.estimate! });
      }
      const counts = await this.reader.labelCounts({ model: name, from: new Date(now - LABEL_LOOKBACK_MS), to: new Date(now), bucketMs: windowMs });
      for (const w of latestWindows(counts, policy.minLabels)) {
        const [s] = await this.reader.metrics({ model: name, from: new Date(w.span.start), to: new Date(w.span.end), bucketMs: windowMs, version: w.version, variant: w.variant }, facts);
        if (!s) continue;
        const labels = { model: name, version: String(s.version), variant: s.variant };
        next.push(() => this.labels.set(labels, s.labels));
        next.push(() => this.windowStart.set(labels, w.span.start / 1000));
        if (s.auc !== null) next.push(() => this.auc.set(labels, s.auc!));
        const below = aucBelowBar(s.auc ?? NaN, s.labels, policy, s.validation_auc);
        if (below !== undefined) next.push(() => this.belowBar.set(labels, below));
      }
    }
    // Swapped in at once, so a scrape never sees half a refresh.
    this.clear();
    for (const set of next) set();
    this.estimateMetrics.setFrom(estimated);
    this.logger.debug({ models: models.length, series: next.length }, 'performance gauges refreshed');
  }
}

/** Per series: its estimate of the latest window ended by `current`, else of the window in progress. */
export function latestEstimates(windows: readonly WindowEstimate[], current: number): WindowEstimate[] {
  const best = new Map<string, WindowEstimate>();
  for (const w of windows) {
    if (!w.estimate) continue;
    const k = `${w.version}\u0000${w.variant}`;
    const b = best.get(k);
    const ended = (x: WindowEstimate) => x.windowEnd.getTime() <= current;
    if (!b || (ended(w) && !ended(b)) || (ended(w) === ended(b) && w.windowStart > b.windowStart)) best.set(k, w);
  }
  return [...best.values()];
}

/** Per series: the latest window with at least `minLabels` labels, else its latest window with any. */
export function latestWindows<W extends { version: number; variant: string; span: { start: number }; labels: number }>(counts: readonly W[], minLabels: number): W[] {
  const best = new Map<string, W>();
  for (const w of counts) {
    if (w.labels <= 0) continue;
    const k = `${w.version}\u0000${w.variant}`;
    const b = best.get(k);
    const enough = w.labels >= minLabels;
    const bEnough = b !== undefined && b.labels >= minLabels;
    if (b === undefined || (enough && !bEnough) || (enough === bEnough && w.span.start > b.span.start)) best.set(k, w);
  }
  return [...best.values()];
}
