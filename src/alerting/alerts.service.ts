import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ValidationFailed } from '../common/errors.js';
import type { Actor } from '../auth/scopes.js';
import type { ListAlertsQuery } from './alerting.dto.js';
import { AlertNotFiring, AlertNotFound } from './alerting.errors.js';
import { type AlertRow, AlertStore } from './alert-store.js';
import { ROLLOUT_ABORTED } from './alert-evaluator.js';

export interface NotificationView {
  id: string;
  receiver_id: string;
  receiver_type: string;
  event: string;
  status: 'pending' | 'sent' | 'given_up' | 'silenced';
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  sent_at: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function encodeCursor(a: AlertRow): string {
  return Buffer.from(JSON.stringify([iso(a.started_at), a.id])).toString('base64url');
}
function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    /* reported below */
  }
  throw new ValidationFailed('cursor is not one this service issued', { field: 'cursor' });
}

/** Alerts as on-call reads them: each with its events, acknowledgements and notifications with their delivery state. */
@Injectable()
export class AlertsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: AlertStore,
  ) {}

  async list(q: ListAlertsQuery) {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (q.state === 'acknowledged') where.push(`state = 'firing' AND acknowledged_at IS NOT NULL`);
    else if (q.state) where.push(`state = ${p(q.state)}`);
    if (q.model) where.push(`model = ${p(q.model)}`);
    if (q.severity) where.push(`severity = ${p(q.severity)}`);
    if (q.cursor) {
      const [startedAt, id] = decodeCursor(q.cursor);
      where.push(`(started_at, id) < (${p(startedAt)}::timestamptz, ${p(id)})`);
    }
    const rows: AlertRow[] = await this.dataSource.query(
      `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ${p(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    return { alerts: await this.views(page), next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null };
  }

  async get(id: string) {
    const [row]: AlertRow[] = await this.dataSource.query(`SELECT * FROM alerts WHERE id = $1`, [id]);
    if (!row) throw new AlertNotFound(id);
    return (await this.views([row]))[0];
  }

  /**
   * Acknowledging stops re-notification to webhooks until the alert
   * resolves or fires again (a new firing is a new alert), and sends
   * PagerDuty `acknowledge`; Alertmanager keeps getting its keep-alive.
   */
  async acknowledge(id: string, note: string, actor: Actor) {
    await this.dataSource.transaction(async (em) => {
      const [row]: AlertRow[] = await em.query(`SELECT * FROM alerts WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw new AlertNotFound(id);
      if (row.state !== 'firing') throw new AlertNotFiring(id);
      await em.query(`INSERT INTO alert_acknowledgements (alert_id, actor, note) VALUES ($1, $2, $3)`, [id, actor.keyId, note]);
      await this.store.event(em, id, 'acknowledged', actor.keyId, { note });
      if (row.acknowledged_at) return;
      await em.query(`UPDATE alerts SET acknowledged_at = now(), acknowledged_by = $2, ack_note = $3 WHERE id = $1`, [id, actor.keyId, note]);
      await this.store.enqueue(em, id, 'acknowledge');
      // No window ever clears an aborted rollout: on-call's acknowledgement is what resolves it.
      if (row.rule === ROLLOUT_ABORTED) {
        await this.store.resolve(em, id, 'acknowledged');
        await em.query(`UPDATE alert_rule_states SET phase = 'ok', alert_id = NULL, updated_at = now() WHERE dedup_key = $1`, [row.dedup_key]);
      }
    });
    return this.get(id);
  }

  private async views(rows: AlertRow[]) {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [notes, events, acks] = await Promise.all([
      this.dataSource.query(`SELECT * FROM alert_notifications WHERE alert_id = ANY($1) ORDER BY id`, [ids]),
      this.dataSource.query(`SELECT * FROM alert_events WHERE alert_id = ANY($1) ORDER BY id`, [ids]),
      this.dataSource.query(`SELECT * FROM alert_acknowledgements WHERE alert_id = ANY($1) ORDER BY id`, [ids]),
    ]);
    const by = <T extends { alert_id: string }>(list: T[], id: string) => list.filter((x) => x.alert_id === id);
    return rows.map((a) => ({
      id: a.id,
      dedup_key: a.dedup_key,
      model: a.model,
      version: a.version,
      variant: a.variant,
      rule: a.rule,
      severity: a.severity,
      state: a.state,
      acknowledged: a.acknowledged_at !== null,
      silenced_by: a.silenced_by,
      summary: a.summary,
      details: a.details,
      runbook_url: a.runbook_url,
      started_at: iso(a.started_at),
      resolved_at: iso(a.resolved_at),
      resolve_reason: a.resolve_reason,
      acknowledgements: by(acks, a.id).map((k: any) => ({ actor: k.actor, note: k.note, at: iso(k.created_at) })),
      events: by(events, a.id).map((e: any) => ({ event: e.event, actor: e.actor, detail: e.detail, at: iso(e.created_at) })),
      notifications: by(notes, a.id).map(
        (n: any): NotificationView => ({
          id: String(n.id),
          receiver_id: n.receiver_id,
          receiver_type: n.receiver_type,
          event: n.event,
          status: n.status,
          attempts: n.attempts,
          last_error: n.last_error,
          next_attempt_at: n.status === 'pending' ? iso(n.next_attempt_at) : null,
          created_at: iso(n.created_at)!,
          sent_at: iso(n.sent_at),
        }),
      ),
    }));
  }
}
