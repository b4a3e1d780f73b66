import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Promotion gates, approvals and registry events.
 *
 * - `models.release_policy`: which aliases are guarded and what a move of one
 *   must clear (gates) or wait for (approval).
 * - `serving_revisions.forced` / `gates` / `approval_id`: the history says
 *   when a move passed its gates by `force`, what the gates found, and which
 *   approval request it carried out.
 * - `approval_requests`: a gated move waiting for a second key; decided at
 *   most once (the row is locked while it is decided).
 * - `registry_events`: what happened in the registry, appended in the same
 *   transaction as the change (a refusal in its own); the alerting side
 *   reads it and fans each event out to `event_deliveries`, its outbox for
 *   registry events, claimed with `SKIP LOCKED` like `alert_notifications`.
 * - `alert_receivers.events`: the event types (globs) a webhook subscribes to.
 */
export class ReleasesGatesEvents1766300000001 implements MigrationInterface {
  name = 'ReleasesGatesEvents1766300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models ADD COLUMN release_policy jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE serving_revisions ADD COLUMN forced boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE serving_revisions ADD COLUMN gates jsonb`);
    await q.query(`ALTER TABLE serving_revisions ADD COLUMN approval_id text`);

    await q.query(`
      CREATE TABLE approval_requests (
        id                   text PRIMARY KEY,
        model_id             bigint NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        model                text NOT NULL,
        action               jsonb NOT NULL,
        state                text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
        reason               text,
        gates                jsonb,
        serving_revision     integer NOT NULL,
        requested_by         text NOT NULL,
        requester_created_by text NOT NULL,
        created_at           timestamptz NOT NULL DEFAULT now(),
        expires_at           timestamptz NOT NULL,
        decided_by           text,
        decided_at           timestamptz,
        comment              text,
        result               jsonb
      )`);
    await q.query(`CREATE INDEX approval_requests_model_idx ON approval_requests (model_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX approval_requests_pending_idx ON approval_requests (expires_at) WHERE state = 'pending'`);

    // Not tied to models by a foreign key: the events of a deleted model stay readable.
    await q.query(`
      CREATE TABLE registry_events (
        id         bigserial PRIMARY KEY,
        type       text NOT NULL,
        model      text NOT NULL,
        version    integer,
        actor      text,
        data       jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX registry_events_model_idx ON registry_events (model, id)`);
    await q.query(`CREATE INDEX registry_events_created_idx ON registry_events (created_at, id)`);

    await q.query(`ALTER TABLE alert_receivers ADD COLUMN events jsonb`);
    await q.query(`
      CREATE TABLE event_deliveries (
        id              bigserial PRIMARY KEY,
        event_id        bigint NOT NULL REFERENCES registry_events(id) ON DELETE CASCADE,
        model           text NOT NULL,
        receiver_id     text NOT NULL,
        status          text NOT NULL CHECK (status IN ('pending', 'sent', 'given_up')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        sent_at         timestamptz,
        UNIQUE (event_id, receiver_id)
      )`);
    await q.query(`CREATE INDEX event_deliveries_pending_idx ON event_deliveries (next_attempt_at, id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX event_deliveries_order_idx ON event_deliveries (receiver_id, model, id) WHERE status = 'pending'`);
    // Which events have been fanned out to the receivers subscribed at the time.
    await q.query(`CREATE TABLE registry_event_fanout (event_id bigint PRIMARY KEY REFERENCES registry_events(id) ON DELETE CASCADE, at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS registry_event_fanout`);
    await q.query(`DROP TABLE IF EXISTS event_deliveries`);
    await q.query(`ALTER TABLE alert_receivers DROP COLUMN IF EXISTS events`);
    await q.query(`DROP TABLE IF EXISTS registry_events`);
    await q.query(`DROP TABLE IF EXISTS approval_requests`);
    await q.query(`ALTER TABLE serving_revisions DROP COLUMN IF EXISTS approval_id`);
    await q.query(`ALTER TABLE serving_revisions DROP COLUMN IF EXISTS gates`);
    await q.query(`ALTER TABLE serving_revisions DROP COLUMN IF EXISTS forced`);
    await q.query(`ALTER TABLE models DROP COLUMN IF EXISTS release_policy`);
  }
}
