import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { APP_LOGGER } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { eventTypeMatches } from '../registry/events/event-types.js';
import { AlertMetrics } from './alert-metrics.js';
import { type RegistryEventPayload, sendEventWebhook } from './receivers/event-webhook.js';
import { ReceiversService, type StoredReceiver } from './receivers.service.js';
import { backoffMs, shouldGiveUp } from './rules/backoff.js';
import { globMatches } from './rules/matchers.js';

const CLAIM = 20;
const FANOUT_BATCH = 500;
/** How far below the newest fanned-out event to look for one that committed late (ids are taken before commit). */
const LATE_COMMIT_WINDOW = 10_000;
const FANOUT_LOCK = `hashtext('modelgate:registry-event-fanout')`;

interface EventRow extends Omit<RegistryEventPayload, 'id' | 'created_at'> {
  id: string;
  created_at: Date;
}

interface Claimed {
  id: string;
  receiver_id: string;
  attempts: number;
  created_at: Date;
  event: EventRow;
}

/** Does this receiver subscribe to this event? Its `events` patterns and its `match.models`. */
export function subscribes(r: Pick<StoredReceiver, 'type' | 'events' | 'match'>, e: { type: string; model: string }): boolean {
  if (r.type !== 'webhook' || !r.events?.length) return false;
  if (!r.events.some((p) => eventTypeMatches(p, e.type))) return false;
  return !r.match?.models?.length || r.match.models.some((p) => globMatches(p, e.model));
}

/**
 * Delivers registry events to the webhooks that subscribe to them, on every
 * replica, the way the alert outbox delivers pages. The registry only
 * appends `registry_events`; here each new event is fanned out (one replica
 * at a time, under an advisory lock) to an `event_deliveries` row per
 * subscribed receiver, and a claim takes, per (receiver, model), only the
 * oldest pending delivery `FOR UPDATE SKIP LOCKED`: a model's events reach a
 * receiver in order, a later one waiting while an earlier one retries.
 */
@Injectable()
export class EventOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private running?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly receivers: ReceiversService,
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

  /** Fans out and delivers what is due until nothing is (tests call it to skip the poll wait). */
  async drain(): Promise<number> {
    if (this.running) await this.running;
    return this.runOnce();
  }

  private async runOnce(): Promise<number> {
    while ((await this.fanOut()) > 0);
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
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'registry event delivery failed; retrying'))
        .then(() => {
          this.running = undefined;
          this.schedule(this.config.alerting.outboxPollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One batch of events not yet fanned out, oldest first; answers how many it took. */
  async fanOut(): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const [{ locked }] = await em.query(`SELECT pg_try_advisory_xact_lock(${FANOUT_LOCK}) AS locked`);
      if (!locked) return 0;
      const events: EventRow[] = await em.query(
        `SELECT e.id, e.type, e.model, e.version, e.actor, e.data, e.created_at FROM registry_events e
          WHERE e.id > (SELECT coalesce(max(event_id), 0) FROM registry_event_fanout) - $1
            AND NOT EXISTS (SELECT 1 FROM registry_event_fanout f WHERE f.event_id = e.id)
          ORDER BY e.id LIMIT $2`,
        [LATE_COMMIT_WINDOW, FANOUT_BATCH],
      );
      if (!events.length) return 0;
      const receivers = await this.receivers.all(em);
      for (const e of events) {
        for (const r of receivers.filter((r) => subscribes(r, e))) {
          await em.query(`INSERT INTO event_deliveries (event_id, model, receiver_id, status) VALUES ($1, $2, $3, 'pending') ON CONFLICT DO NOTHING`, [e.id, e.model, r.id]);
        }
      }
      await em.query(`INSERT INTO registry_event_fanout (event_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING`, [events.map((e) => e.id)]);
      return events.length;
    });
  }

  /** One claim: sends what it claimed and commits each outcome. */
  async deliverOnce(): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const rows: (Omit<Claimed, 'event'> & { event_id: string })[] = await em.query(
        `SELECT d.id, d.receiver_id, d.attempts, d.created_at, d.event_id
           FROM event_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND NOT EXISTS (SELECT 1 FROM event_deliveries p
                             WHERE p.receiver_id = d.receiver_id AND p.model = d.model AND p.status = 'pending' AND p.id < d.id)
          ORDER BY d.id
          LIMIT $1
          FOR UPDATE OF d SKIP LOCKED`,
        [CLAIM],
      );
      if (!rows.length) return 0;
      const events: EventRow[] = await em.query(`SELECT id, type, model, version, actor, data, created_at FROM registry_events WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.event_id),
      ]);
      const byId = new Map(events.map((e) => [String(e.id), e]));
      const receivers = new Map((await this.receivers.all(em)).map((r) => [r.id, r]));
      // Sends run side by side; their outcomes are written one at a time (one connection runs one query at a time).
      const claimed = rows.map((row) => ({ ...row, event: byId.get(String(row.event_id))! }));
      const outcomes = await Promise.all(claimed.map((row) => this.send(row, receivers.get(row.receiver_id))));
      for (const [i, row] of claimed.entries()) await this.record(em, row, receivers.get(row.receiver_id), outcomes[i]);
      return rows.length;
    });
  }

  /** Null when the receiver accepted the event, else why not. */
  private async send(row: Claimed, receiver: StoredReceiver | undefined): Promise<string | null> {
    if (!receiver) return null;
    try {
      await sendEventWebhook(payload(row.event), String(row.id), receiver);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  private async record(em: EntityManager, row: Claimed, receiver: StoredReceiver | undefined, failure: string | null): Promise<void> {
    const label = receiver?.id ?? row.receiver_id;
    const event = `registry:${row.event.type}`;
    if (!receiver) return this.giveUp(em, row, label, 'the receiver was deleted');
    if (failure === null) {
      await em.query(`UPDATE event_deliveries SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = NULL WHERE id = $1`, [row.id]);
      this.metrics.notifications.inc({ receiver: label, event, outcome: 'sent' });
      return;
    }
    this.metrics.notifications.inc({ receiver: label, event, outcome: 'failed' });
    const a = this.config.alerting;
    if (shouldGiveUp(new Date(row.created_at).getTime(), Date.now(), a.giveUpMs)) return this.giveUp(em, row, label, failure);
    const delay = backoffMs(row.attempts + 1, a.backoffMs, a.backoffMaxMs);
    await em.query(`UPDATE event_deliveries SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`, [
      row.id,
      failure.slice(0, 1000),
      delay / 1000,
    ]);
    this.logger.warn({ receiver: label, event: row.event.type, event_id: row.event.id, attempt: row.attempts + 1, err: failure }, 'registry event delivery failed; will retry');
  }

  private async giveUp(em: EntityManager, row: Claimed, label: string, reason: string): Promise<void> {
    await em.query(`UPDATE event_deliveries SET status = 'given_up', attempts = attempts + 1, last_error = $2 WHERE id = $1`, [row.id, reason.slice(0, 1000)]);
    this.metrics.notifications.inc({ receiver: label, event: `registry:${row.event.type}`, outcome: 'given_up' });
    this.logger.error({ receiver: label, event: row.event.type, event_id: row.event.id, reason }, 'gave up delivering a registry event');
  }
}

export function payload(e: EventRow): RegistryEventPayload {
  return { id: String(e.id), type: e.type, model: e.model, version: e.version, actor: e.actor, data: e.data ?? {}, created_at: new Date(e.created_at).toISOString() };
}
