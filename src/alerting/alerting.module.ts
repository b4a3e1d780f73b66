import { Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { LeaderElection } from '../database/leader-election.js';
import { MonitoringModule } from '../monitoring/monitoring.module.js';
import { AlertEvaluator } from './alert-evaluator.js';
import { AlertMetrics } from './alert-metrics.js';
import { AlertResender } from './alert-resender.js';
import { AlertStore } from './alert-store.js';
import { AlertsController, ReceiversController, SilencesController } from './alerts.controller.js';
import { AlertsService } from './alerts.service.js';
import { OutboxDispatcher } from './outbox-dispatcher.js';
import { EventOutbox } from './event-outbox.js';
import { ReceiverTest } from './receiver-test.js';
import { ReceiversService } from './receivers.service.js';
import { SilencesService } from './silences.service.js';
import { DriftChecksSource } from './sources/drift-checks.source.js';
import { PerformanceSource } from './sources/performance.source.js';
import { RegistrySource } from './sources/registry.source.js';
import { RolloutsSource } from './sources/rollouts.source.js';

/** Evaluation and keep-alives run on the elected leader only; outbox delivery runs on every replica. */
@Injectable()
class AlertingJobs implements OnApplicationBootstrap {
  constructor(
    private readonly election: LeaderElection,
    private readonly evaluator: AlertEvaluator,
    private readonly resender: AlertResender,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const a = this.config.alerting;
    this.election.every({ name: 'alert-evaluation', periodMs: a.evalMs, run: () => this.evaluator.run() });
    const resendMs = Math.min(a.alertmanagerResendMs, a.webhookRenotifyMs || Infinity);
    // Checked at a fraction of the interval so a keep-alive is never late by more than that.
    this.election.every({ name: 'alert-keepalive', periodMs: Math.max(50, Math.floor(resendMs / 4)), run: async () => void (await this.resender.run()) });
  }
}

/**
 * Alerting: rules over the monitor's drift checks and performance windows,
 * the alert lifecycle, silences, acknowledgements, receivers and the
 * durable outbox that delivers to them.
 */
@Module({
  imports: [MonitoringModule],
  controllers: [AlertsController, SilencesController, ReceiversController],
  providers: [
    AlertStore,
    AlertEvaluator,
    AlertResender,
    AlertMetrics,
    AlertsService,
    SilencesService,
    ReceiversService,
    OutboxDispatcher,
    EventOutbox,
    ReceiverTest,
    DriftChecksSource,
    PerformanceSource,
    RegistrySource,
    RolloutsSource,
    AlertingJobs,
  ],
})
export class AlertingModule {}
