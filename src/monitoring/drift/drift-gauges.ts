import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { DriftMetrics } from '../../metrics/drift-metrics.js';
import { DriftChecksStore } from './drift-checks.store.js';

/**
 * Keeps the drift gauges on this replica equal to the latest drift_checks
 * row of every series, read every flush period: every replica, not only the
 * leader, so any scrape target answers the same.
 */
@Injectable()
export class DriftGauges implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly checks: DriftChecksStore,
    private readonly metrics: DriftMetrics,
  ) {
    this.logger = logger.child({ component: 'drift-gauges' });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.refresh(), this.config.monitoring.flushMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      this.metrics.setFrom(await this.checks.latestPerSeries());
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'drift gauge refresh failed');
    }
  }
}
