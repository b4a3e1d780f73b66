import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { LeaderElection } from '../../database/leader-election.js';
import { Metrics } from '../../metrics/metrics.js';
import { aucBarPolicy, aucBelowBar } from './performance-math.js';
import { PerformanceReader } from './performance-reader.js';

/** The rolling window the gauges cover, and how often the leader recomputes them. */
export const GAUGE_WINDOW_MS = 60 * 60 * 1000;
export const GAUGE_PERIOD_MS = 60 * 1000;

/**
 * `modelgate_model_auc` and friends, recomputed by the elected leader over
 * the last hour of traffic of every model: one replica queries the log, not
 * every one, so only the leader exports these series (alert rules should
 * aggregate with `max by (model, version, variant)`); a replica that steps
 * down clears them so a stale leader never exports old numbers.
 */
@Injectable()
export class PerformanceGauges implements OnModuleInit {
  private readonly logger: Logger;
  readonly auc: Gauge<'model' | 'version' | 'variant'>;
  readonly validationAuc: Gauge<'model' | 'version'>;
  readonly labels: Gauge<'model' | 'version' | 'variant'>;
  readonly belowBar: Gauge<'model' | 'version' | 'variant'>;

  constructor(
    metrics: Metrics,
    private readonly reader: PerformanceReader,
    private readonly dataSource: DataSource,
    private readonly election: LeaderElection,
    @InjectLogger() logger: Logger,
  ) {
    this.logger = logger.child({ component: 'performance-gauges' });
    const registers = [metrics.registry];
    this.auc = new Gauge({ name: 'modelgate_model_auc', help: 'Live ROC AUC over the last hour of labelled predictions, per series.', labelNames: ['model', 'version', 'variant'], registers });
    this.validationAuc = new Gauge({ name: 'modelgate_model_validation_auc', help: 'Validation AUC registered with the version.', labelNames: ['model', 'version'], registers });
    this.labels = new Gauge({ name: 'modelgate_model_labels_total', help: 'Labels joined with predictions of the last hour, per series.', labelNames: ['model', 'version', 'variant'], registers });
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
    for (const g of [this.auc, this.validationAuc, this.labels, this.belowBar]) g.reset();
  }

  /** Recomputes every gauge from the database (the leader's job; tests call it directly). */
  async refresh(now = Date.now()): Promise<void> {
    const models: { name: string }[] = await this.dataSource.query(`SELECT name FROM models ORDER BY name`);
    const from = new Date(now - GAUGE_WINDOW_MS);
    const to = new Date(now);
    const next: (() => void)[] = [];
    for (const { name } of models) {
      const facts = await this.reader.modelFacts(name);
      if (!facts) continue;
      for (const [version, metrics] of facts.validation) {
        if (typeof metrics.auc === 'number') next.push(() => this.validationAuc.set({ model: name, version: String(version) }, metrics.auc));
      }
      const policy = aucBarPolicy(facts.policy);
      for (const s of await this.reader.metrics({ model: name, from, to, bucketMs: now }, facts)) {
        const labels = { model: name, version: String(s.version), variant: s.variant };
        next.push(() => this.labels.set(labels, s.labels));
        if (s.auc !== null) next.push(() => this.auc.set(labels, s.auc!));
        const below = aucBelowBar(s.auc ?? NaN, s.labels, policy, s.validation_auc);
        if (below !== undefined) next.push(() => this.belowBar.set(labels, below));
      }
    }
    // Swapped in at once, so a scrape never sees half a refresh.
    this.clear();
    for (const set of next) set();
    this.logger.debug({ models: models.length, series: next.length }, 'performance gauges refreshed');
  }
}
