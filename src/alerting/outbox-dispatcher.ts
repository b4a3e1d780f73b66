import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { APP_LOGGER } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { AlertMetrics } from './alert-metrics.js';
import { AlertStore } from './alert-store.js';
import { AlertmanagerReceiver } from './receivers/alertmanager.receiver.js';
import { PagerDutyReceiver } from './receivers/pagerduty.receiver.js';
import type { AlertReceiver, AlertSnapshot, NotificationEvent, ReceiverType } from './receivers/receiver.js';
import { WebhookReceiver } from './receivers/webhook.receiver.js';
import { ReceiversService, type StoredReceiver } from './receivers.service.js';
import { backoffMs, shouldGiveUp } from './rules/backoff.js';

const CLAIM = 20;

interface Claimed {
  id: string;
  alert_id: string;
  receiver_id: string;
  event: NotificationEvent;
  payload: AlertSnapshot;
  attempts: number;
  created_at: Date;
}

/**
 * Delivers the outbox on every replica. A claim takes, per receiver and
 * dedup key, only the oldest pending notification, locked `FOR UPDATE SKIP
 * LOCKED` for the transaction that sends it: another replica skips it, a
 * later event of the same key waits until it is sent or given up, and a
 * replica killed mid-send releases the lock so another sends it again (at
 * least once; the dedup key is the idempotency key).
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private running?: Promise<void>;
  private readonly kinds: Record<ReceiverType, AlertReceiver> = {
    webhook: new WebhookReceiver(),
    alertmanager: new AlertmanagerReceiver(),
    pagerduty: new PagerDutyReceiver(),
  };

  constructor(
    private readonly dataSource: DataSource,
    private readonly receivers: ReceiversService,
    private readonly store: AlertStore,
    private readonly metrics: AlertMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Delivers what is due until nothing is, including what a background run
   * in flight has claimed (its rows are skipped, SKIP LOCKED, so without the
   * wait a caller could return before they are sent); tests call it to skip
   * the poll wait.
   */
  async drain(): Promise<number> {
    let total = await this.deliverDue();
    while (this.running) {
      const run = this.running;
      await run;
      total += await this.deliverDue();
      if (this.running === run) break;
    }
    return total;
  }

  private async deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.deliverOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.deliverDue()
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'outbox delivery failed; retrying'))
        .then(() => this.schedule(this.config.alerting.outboxPollMs));
    }, ms);
    this.timer.unref();
  }

  /** One claim: sends what it claimed and commits each outcome; answers how many it claimed. */
  async deliverOnce(): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const rows: Claimed[] = await em.query(
        `SELECT o.id, o.alert_id, o.receiver_id, o.event, o.payload, o.attempts, o.created_at
           FROM alert_notifications o
          WHERE o.status = 'pending' AND o.next_attempt_at <= now()
            AND NOT EXISTS (SELECT 1 FROM alert_notifications p
                             WHERE p.receiver_id = o.receiver_id AND p.dedup_key = o.dedup_key AND p.status = 'pending' AND p.id < o.id)
          ORDER BY o.id
          LIMIT $1
          FOR UPDATE OF o SKIP LOCKED`,
        [CLAIM],
      );
      if (!rows.length) return 0;
      const receivers = new Map((await this.receivers.all(em)).map((r) => [r.id, r]));
      await Promise.all(rows.map((row) => this.deliver(em, row, receivers.get(row.receiver_id))));
      return rows.length;
    });
  }

  private async deliver(em: EntityManager, row: Claimed, receiver: StoredReceiver | undefined): Promise<void> {
    const label = receiver?.id ?? row.receiver_id;
    if (!receiver) return this.giveUp(em, row, label, 'the receiver was deleted');
    try {
      await this.kinds[receiver.type].send({ id: String(row.id), event: row.event, alert: row.payload }, receiver);
      await em.query(`UPDATE alert_notifications SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = NULL WHERE id = $1`, [row.id]);
      this.metrics.notifications.inc({ receiver: label, event: row.event, outcome: 'sent' });
    } catch (err) {
      const message = (err as Error).message;
      this.metrics.notifications.inc({ receiver: label, event: row.event, outcome: 'failed' });
      const a = this.config.alerting;
      if (shouldGiveUp(new Date(row.created_at).getTime(), Date.now(), a.giveUpMs)) return this.giveUp(em, row, label, message);
      const delay = backoffMs(row.attempts + 1, a.backoffMs, a.backoffMaxMs);
      await em.query(
        `UPDATE alert_notifications SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`,
        [row.id, message.slice(0, 1000), delay / 1000],
      );
      this.logger.warn({ receiver: label, event: row.event, dedup_key: row.payload.dedup_key, attempt: row.attempts + 1, err: message }, 'alert notification failed; will retry');
    }
  }

  private async giveUp(em: EntityManager, row: Claimed, label: string, reason: string): Promise<void> {
    await em.query(`UPDATE alert_notifications SET status = 'given_up', attempts = attempts + 1, last_error = $2 WHERE id = $1`, [row.id, reason.slice(0, 1000)]);
    await this.store.event(em, row.alert_id, 'delivery_given_up', null, { notification_id: String(row.id), receiver_id: row.receiver_id, event: row.event, reason });
    this.metrics.notifications.inc({ receiver: label, event: row.event, outcome: 'given_up' });
    this.logger.error({ receiver: label, event: row.event, dedup_key: row.payload.dedup_key, reason }, 'gave up delivering an alert notification');
  }
}
