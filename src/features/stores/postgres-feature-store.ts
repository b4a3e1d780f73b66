import type { DataSource } from 'typeorm';
import type { FeatureRow, StoredFeatureRow } from '../feature-view.js';
import { FeatureStore, latestPerEntity, type UpsertOutcome, type ViewLookup } from './feature-store.js';

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

  async lookupMany(requests: readonly ViewLookup[]): Promise<(StoredFeatureRow | undefined)[][]> {
    const views: string[] = [];
    const entities: string[] = [];
    for (const r of requests) for (const e of r.entities) views.push(r.view), entities.push(e);
    if (entities.length === 0) return requests.map(() => []);
    const rows: { view: string; entity: string; values: StoredFeatureRow['values']; t: number }[] = await this.dataSource.query(
      `SELECT f.view, f.entity, f."values", (extract(epoch FROM f.event_time) * 1000)::float8 AS t
       FROM feature_rows f WHERE (f.view, f.entity) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [views, entities],
    );
    const found = new Map(rows.map((r) => [`${r.view}\u0000${r.entity}`, { values: r.values, eventTime: Math.round(r.t) }]));
    return requests.map((r) => r.entities.map((e) => found.get(`${r.view}\u0000${e}`)));
  }

  async deleteView(view: string): Promise<void> {
    await this.dataSource.query('DELETE FROM feature_rows WHERE view = $1', [view]);
  }

  async close(): Promise<void> {
    // The DataSource belongs to the database module, which closes it.
  }
}
