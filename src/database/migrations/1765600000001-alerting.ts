import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alert state and durable delivery. `alert_rule_states` is the lifecycle
 * machine per dedup key (model/version/variant/rule); `alerts` holds one row
 * per firing episode, at most one of them firing per dedup key; every
 * transition is an `alert_events` row and, per matching receiver, an
 * `alert_notifications` row, which is the outbox: it is claimed with
 * `FOR UPDATE SKIP LOCKED` and keeps its delivery state once sent.
 */
export class Alerting1765600000001 implements MigrationInterface {
  name = 'Alerting1765600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alert_rule_states (
        dedup_key       text PRIMARY KEY,
        model           text NOT NULL,
        version         integer NOT NULL,
        variant         text NOT NULL,
        rule            text NOT NULL,
        phase           text NOT NULL CHECK (phase IN ('ok', 'pending', 'firing')),
        active_streak   integer NOT NULL DEFAULT 0,
        clear_streak    integer NOT NULL DEFAULT 0,
        alert_id        text,
        last_window_end timestamptz,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX alert_rule_states_model_idx ON alert_rule_states (model, version)`);

    await q.query(`
      CREATE TABLE alerts (
        id              text PRIMARY KEY,
        dedup_key       text NOT NULL,
        model           text NOT NULL,
        version         integer NOT NULL,
        variant         text NOT NULL,
        rule            text NOT NULL,
        severity        text NOT NULL,
        state           text NOT NULL CHECK (state IN ('firing', 'resolved')),
        summary         text NOT NULL,
        details         jsonb NOT NULL DEFAULT '{}',
        runbook_url     text,
        started_at      timestamptz NOT NULL,
        resolved_at     timestamptz,
        resolve_reason  text,
        acknowledged_at timestamptz,
        acknowledged_by text,
        ack_note        text,
        silenced_by     text,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX alerts_one_firing_per_key ON alerts (dedup_key) WHERE state = 'firing'`);
    await q.query(`CREATE INDEX alerts_list_idx ON alerts (started_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE alert_events (
        id         bigserial PRIMARY KEY,
        alert_id   text NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        event      text NOT NULL,
        actor      text,
        detail     jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, id)`);

    await q.query(`
      CREATE TABLE silences (
        id         text PRIMARY KEY,
        matchers   jsonb NOT NULL,
        starts_at  timestamptz NOT NULL DEFAULT now(),
        ends_at    timestamptz NOT NULL,
        reason     text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expired_at timestamptz
      )`);

    await q.query(`
      CREATE TABLE alert_acknowledgements (
        id         bigserial PRIMARY KEY,
        alert_id   text NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        actor      text NOT NULL,
        note       text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE alert_receivers (
        id          text PRIMARY KEY,
        type        text NOT NULL CHECK (type IN ('webhook', 'alertmanager', 'pagerduty')),
        url         text NOT NULL DEFAULT '',
        secret      text,
        routing_key text,
        match       jsonb NOT NULL DEFAULT '{}',
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);

    // The outbox. receiver_id names an API receiver or an env one ("env-…"),
    // so it has no foreign key; a row whose receiver is gone gives up.
    await q.query(`
      CREATE TABLE alert_notifications (
        id              bigserial PRIMARY KEY,
        alert_id        text NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        dedup_key       text NOT NULL,
        receiver_id     text NOT NULL,
        receiver_type   text NOT NULL,
        event           text NOT NULL CHECK (event IN ('trigger', 'acknowledge', 'resolve', 'resend')),
        payload         jsonb NOT NULL,
        status          text NOT NULL CHECK (status IN ('pending', 'sent', 'given_up', 'silenced')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        sent_at         timestamptz
      )`);
    await q.query(`CREATE INDEX alert_notifications_pending_idx ON alert_notifications (next_attempt_at, id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX alert_notifications_key_idx ON alert_notifications (receiver_id, dedup_key, id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX alert_notifications_alert_idx ON alert_notifications (alert_id, id)`);

    // Where evaluation stopped reading drift_checks, so a new leader goes on from there.
    await q.query(`
      CREATE TABLE alert_cursors (
        name        text PRIMARY KEY,
        checked_at  timestamptz NOT NULL,
        last_id     bigint NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['alert_cursors', 'alert_notifications', 'alert_receivers', 'alert_acknowledgements', 'silences', 'alert_events', 'alerts', 'alert_rule_states']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
