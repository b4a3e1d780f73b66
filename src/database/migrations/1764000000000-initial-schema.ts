import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Registry, serving state and prediction telemetry. Version numbers, alias
 * moves and revisions are serialised by a row lock on `models` (see
 * RegistryService), so the unique keys here are the backstop, not the
 * mechanism.
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        scopes        text[] NOT NULL,
        secret_sha256 text NOT NULL,
        created_by    text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz,
        revoked_at    timestamptz,
        last_used_at  timestamptz
      )`);

    await q.query(`
      CREATE TABLE models (
        id                bigserial PRIMARY KEY,
        name              text NOT NULL UNIQUE,
        task              text NOT NULL CHECK (task IN ('binary_classification', 'multiclass_classification', 'regression')),
        description       text NOT NULL DEFAULT '',
        owner             text,
        tags              jsonb NOT NULL DEFAULT '{}',
        monitoring_policy jsonb NOT NULL DEFAULT '{}',
        latest_version    integer NOT NULL DEFAULT 0,
        serving_revision  integer NOT NULL DEFAULT 0,
        traffic_policy    jsonb,
        created_by        text NOT NULL,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX models_tags_idx ON models USING gin (tags)`);

    await q.query(`
      CREATE TABLE model_versions (
        model_id             bigint NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version              integer NOT NULL CHECK (version > 0),
        status               text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'archived')),
        description          text NOT NULL DEFAULT '',
        tags                 jsonb NOT NULL DEFAULT '{}',
        artifact_key         text NOT NULL,
        artifact_sha256      text NOT NULL,
        artifact_size        bigint NOT NULL,
        signature            jsonb NOT NULL,
        feature_names        jsonb NOT NULL,
        categorical_features jsonb NOT NULL DEFAULT '[]',
        label_column         text NOT NULL DEFAULT 'label',
        score_output         jsonb,
        metrics              jsonb NOT NULL DEFAULT '{}',
        lineage              jsonb NOT NULL DEFAULT '{}',
        baseline             jsonb,
        created_by           text NOT NULL,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, version)
      )`);

    await q.query(`
      CREATE TABLE model_aliases (
        model_id   bigint NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias      text NOT NULL,
        version    integer NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, alias),
        FOREIGN KEY (model_id, version) REFERENCES model_versions(model_id, version)
      )`);

    // One append-only sequence per model covering alias moves and traffic
    // changes; "before" and "after" are whole serving states so any revision
    // can be restored without replaying the ones before it.
    await q.query(`
      CREATE TABLE serving_revisions (
        model_id          bigint NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        revision          integer NOT NULL CHECK (revision > 0),
        change            text NOT NULL,
        alias             text,
        actor             text NOT NULL,
        reason            text,
        before            jsonb NOT NULL,
        after             jsonb NOT NULL,
        restored_revision integer,
        created_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, revision)
      )`);

    // Objects that may exist in the artifact store without a committed row:
    // an upload in progress, or the objects of a deleted model. A sweep
    // deletes them, so a crash mid-upload leaves nothing behind for long.
    await q.query(`
      CREATE TABLE artifact_gc (
        key        text PRIMARY KEY,
        reason     text NOT NULL CHECK (reason IN ('upload', 'deleted')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // One row per prediction, written in bulk off the request path. The
    // common outputs are plain columns (score: the positive-class score or the
    // regressed value; label): a jsonb document per row cost the gateway a
    // fifth of a core at 14k predictions/s. `outputs` holds only what they
    // cannot (multiclass probabilities, extra outputs). Feedback joins on the
    // id; ids are UUIDv7, so time order is id order and a BRIN index on the
    // time is enough for retention.
    await q.query(`
      CREATE TABLE predictions (
        id          uuid PRIMARY KEY,
        model       text NOT NULL,
        version     integer NOT NULL,
        variant     text NOT NULL,
        protocol    text NOT NULL,
        fallback    boolean NOT NULL DEFAULT false,
        created_at  timestamptz NOT NULL,
        latency_ms  real NOT NULL,
        score       double precision,
        label       text,
        outputs     jsonb,
        inputs      jsonb
      )`);
    await q.query(`CREATE INDEX predictions_created_brin ON predictions USING brin (created_at)`);

    await q.query(`
      CREATE TABLE shadow_predictions (
        prediction_id uuid NOT NULL,
        model         text NOT NULL,
        version       integer NOT NULL,
        created_at    timestamptz NOT NULL,
        latency_ms    real NOT NULL,
        score         double precision,
        label         text,
        outputs       jsonb,
        error         text,
        PRIMARY KEY (prediction_id, version)
      )`);
    await q.query(`CREATE INDEX shadow_predictions_model_time_idx ON shadow_predictions (model, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['shadow_predictions', 'predictions', 'artifact_gc', 'serving_revisions', 'model_aliases', 'model_versions', 'models', 'api_keys']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
