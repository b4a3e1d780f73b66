import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { uuidv7 } from '../common/ids.js';
import { type AlertSnapshot, deliversEvent, type NotificationEvent } from './receivers/receiver.js';
import { ReceiversService } from './receivers.service.js';
import { receiverMatches, type SilenceMatchers, silenceMatches } from './rules/matchers.js';
import type { RuleState } from './rules/lifecycle.js';

export interface SeriesRule {
  model: string;
  version: number;
  variant: string;
  rule: string;
}

export function dedupKey(s: SeriesRule): string {
  return `${s.model}/${s.version}/${s.variant}/${s.rule}`;
}

export interface StoredRuleState extends RuleState {
  alertId: string | null;
  lastWindowEnd: Date | null;
}

export interface AlertRow {
  id: string;
  dedup_key: string;
  model: string;
  version: number;
  variant: string;
  rule: string;
  severity: string;
  state: 'firing' | 'resolved';
  summary: string;
  details: Record<string, unknown>;
  runbook_url: string | null;
  started_at: Date;
  resolved_at: Date | null;
  resolve_reason: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_note: string | null;
  silenced_by: string | null;
}

export interface NewAlert extends SeriesRule {
  severity: string;
  summary: string;
  details: Record<string, unknown>;
  runbookUrl: string | null;
}

/**
 * The writes of the alert lifecycle, each inside the caller's transaction:
 * a transition, its event row and its outbox rows commit together or not at
 * all, so a crash never leaves a transition without its notifications.
 */
@Injectable()
export class AlertStore {
  constructor(
    private readonly receivers: ReceiversService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The lifecycle state of a dedup key, locked for the rest of the transaction. */
  async lockState(em: EntityManager, s: SeriesRule): Promise<StoredRuleState> {
    const key = dedupKey(s);
    await em.query(
      `INSERT INTO alert_rule_states (dedup_key, model, version, variant, rule, phase) VALUES ($1, $2, $3, $4, $5, 'ok') ON CONFLICT (dedup_key) DO NOTHING`,
      [key, s.model, s.version, s.variant, s.rule],
    );
    const [r] = await em.query(`SELECT * FROM alert_rule_states WHERE dedup_key = $1 FOR UPDATE`, [key]);
    return { phase: r.phase, activeStreak: r.active_streak, clearStreak: r.clear_streak, alertId: r.alert_id, lastWindowEnd: r.last_window_end };
  }

  async saveState(em: EntityManager, s: SeriesRule, st: StoredRuleState): Promise<void> {
    await em.query(
      `UPDATE alert_rule_states SET phase = $2, active_streak = $3, clear_streak = $4, alert_id = $5, last_window_end = $6, updated_at = now() WHERE dedup_key = $1`,
      [dedupKey(s), st.phase, st.activeStreak, st.clearStreak, st.alertId, st.lastWindowEnd],
    );
  }

  async fire(em: EntityManager, a: NewAlert): Promise<string> {
    const id = uuidv7();
    await em.query(
      `INSERT INTO alerts (id, dedup_key, model, version, variant, rule, severity, state, summary, details, runbook_url, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'firing', $8, $9, $10, now())`,
      [id, dedupKey(a), a.model, a.version, a.variant, a.rule, a.severity, a.summary, JSON.stringify(a.details), a.runbookUrl],
    );
    await this.event(em, id, 'firing', null, { summary: a.summary });
    await this.enqueue(em, id, 'trigger');
    return id;
  }

  async resolve(em: EntityManager, alertId: string, reason: string): Promise<void> {
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [, changed]: [unknown, number] = await em.query(
      `UPDATE alerts SET state = 'resolved', resolved_at = now(), resolve_reason = $2 WHERE id = $1 AND state = 'firing'`,
      [alertId, reason],
    );
    if (!changed) return;
    await this.event(em, alertId, 'resolved', null, { reason });
    await this.enqueue(em, alertId, 'resolve');
  }

  async event(em: EntityManager, alertId: string, event: string, actor: string | null, detail: Record<string, unknown> = {}): Promise<void> {
    await em.query(`INSERT INTO alert_events (alert_id, event, actor, detail) VALUES ($1, $2, $3, $4)`, [alertId, event, actor, JSON.stringify(detail)]);
  }

  /**
   * Queues one notification per receiver that should hear of this event. A
   * trigger goes to every receiver whose routes match, recorded as
   * `silenced` (never sent) when a silence matches; every later event of
   * the alert goes only to the receivers whose trigger was not silenced, so
   * a resolve always follows a page and never arrives alone.
   */
  async enqueue(em: EntityManager, alertId: string, event: NotificationEvent, onlyReceiver?: string): Promise<number> {
    // With Prometheus as the source of model-level pages, alerts are stored for the API only.
    if (this.config.alerting.source === 'prometheus') return 0;
    const [alert]: AlertRow[] = await em.query(`SELECT * FROM alerts WHERE id = $1`, [alertId]);
    const labels = { model: alert.model, rule: alert.rule, severity: alert.severity };
    const receivers = (await this.receivers.all(em)).filter((r) => deliversEvent(r.type, event) && (!onlyReceiver || r.id === onlyReceiver));
    let silence: string | null = null;
    let targets: typeof receivers;
    if (event === 'trigger') {
      targets = receivers.filter((r) => receiverMatches(r.match, labels));
      silence = await this.matchingSilence(em, labels);
      if (silence) {
        await em.query(`UPDATE alerts SET silenced_by = $2 WHERE id = $1`, [alertId, silence]);
        await this.event(em, alertId, 'silenced', null, { silence_id: silence });
      }
    } else {
      // A silence made after the page stops the keep-alives, not the acknowledge or the resolve.
      if (event === 'resend' && (await this.matchingSilence(em, labels))) return 0;
      const paged: { receiver_id: string }[] = await em.query(
        `SELECT DISTINCT receiver_id FROM alert_notifications WHERE alert_id = $1 AND event = 'trigger' AND status <> 'silenced'`,
        [alertId],
      );
      const ids = new Set(paged.map((p) => p.receiver_id));
      targets = receivers.filter((r) => ids.has(r.id));
    }
    const payload = JSON.stringify(this.snapshot(alert));
    for (const r of targets) {
      await em.query(
        `INSERT INTO alert_notifications (alert_id, dedup_key, receiver_id, receiver_type, event, payload, status) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [alertId, alert.dedup_key, r.id, r.type, event, payload, silence ? 'silenced' : 'pending'],
      );
    }
    return targets.length;
  }

  /**
   * A still-firing alert whose silence ended (expired or deleted) with no
   * other silence matching it pages now, as Alertmanager does when a
   * silence lifts; its earlier `silenced` rows stay as the record.
   */
  async unsilenceIfLifted(em: EntityManager, alertId: string): Promise<boolean> {
    const [alert]: AlertRow[] = await em.query(`SELECT * FROM alerts WHERE id = $1 AND state = 'firing' AND silenced_by IS NOT NULL FOR UPDATE`, [alertId]);
    if (!alert) return false;
    if (await this.matchingSilence(em, { model: alert.model, rule: alert.rule, severity: alert.severity })) return false;
    await em.query(`UPDATE alerts SET silenced_by = NULL WHERE id = $1`, [alertId]);
    await this.event(em, alertId, 'unsilenced', null, { silence_id: alert.silenced_by });
    await this.enqueue(em, alertId, 'trigger');
    return true;
  }

  snapshot(a: AlertRow): AlertSnapshot {
    return {
      id: a.id,
      dedup_key: a.dedup_key,
      model: a.model,
      version: a.version,
      variant: a.variant,
      rule: a.rule,
      severity: a.severity,
      state: a.state,
      summary: a.summary,
      details: a.details,
      runbook_url: a.runbook_url,
      started_at: new Date(a.started_at).toISOString(),
      resolved_at: a.resolved_at ? new Date(a.resolved_at).toISOString() : null,
      resolve_reason: a.resolve_reason,
      acknowledged_by: a.acknowledged_by,
      url: `${this.config.alerting.publicUrl}/api/v1/alerts/${a.id}`,
    };
  }

  private async matchingSilence(em: EntityManager, labels: { model: string; rule: string; severity: string }): Promise<string | null> {
    const active: { id: string; matchers: SilenceMatchers }[] = await em.query(
      `SELECT id, matchers FROM silences WHERE expired_at IS NULL AND starts_at <= now() AND ends_at > now() ORDER BY created_at`,
    );
    return active.find((s) => silenceMatches(s.matchers, labels))?.id ?? null;
  }
}
