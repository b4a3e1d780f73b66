import type { DataSource } from 'typeorm';
import type { FeatureRow, StoredFeatureRow } from '../feature-view.js';
import { FeatureStore, latestPerEntity, type UpsertOutcome } from './feature-store.js';

/**
 * Feature rows in the service's own PostgreSQL (the embedded default): one
 * migrated table keyed by (view, entity), values as jsonb. The event-time
 * rule is the upsert's WHERE, so concurrent writers need no lock of ours.
 */
export class PostgresFeatureStore extends FeatureStore {
  readonly kind = 'postgres' as const;

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async upsert(view: string, rows: readonly FeatureRow[]): Promise<UpsertOutcome> {
    if (rows.length === 0) return { written: 0, older: 0 };
    const latest = latestPerEntity(rows);
    const stored: unknown[] = await this.dataSource.query(
      `INSERT INTO feature_rows (view, entity, "values", event_time, updated_at)
       SELECT $1, r.entity, r.v::jsonb, to_timestamp(r.t / 1000.0), now()
       FROM unnest($2::text[], $3::text[], $4::float8[]) AS r(entity, v, t)
       ON CONFLICT (view, entity) DO UPDATE SET "values" = EXCLUDED."values", event_time = EXCLUDED.event_time, updated_at = now()
       WHERE feature_rows.event_time <= EXCLUDED.event_time
       RETURNING 1`,
      [view, latest.map((r) => r.entity), latest.map((r) => JSON.stringify(r.values)), latest.map((r) => r.eventTime)],
    );
    return { written: stored.length, older: rows.length - stored.length };
  }

  async lookup(view: string, entities: readonly string[]): Promise<(StoredFeatureRow | undefined)[]> {
    if (entities.length === 0) return [];
    const rows: { entity: string; values: StoredFeatureRow['values']; t: number }[] = await this.dataSource.query(
      `SELECT entity, "values", (extract(epoch FROM event_time) * 1000)::float8 AS t FROM feature_rows WHERE view = $1 AND entity = ANY($2::text[])`,
      [view, entities],
    );
    const byEntity = new Map(rows.map((r) => [r.entity, { values: r.values, eventTime: Math.round(r.t) }]));
    return entities.map((e) => byEntity.get(e));
  }

  async deleteView(view: string): Promise<void> {
    await this.dataSource.query('DELETE FROM feature_rows WHERE view = $1', [view]);
  }

  async close(): Promise<void> {
    // The DataSource belongs to the database module, which closes it.
  }
}
