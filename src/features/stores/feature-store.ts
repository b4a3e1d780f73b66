import type { FeatureRow, StoredFeatureRow } from '../feature-view.js';

/** What a batch write did: rows stored, and rows refused because the store holds a newer event. */
export interface UpsertOutcome {
  written: number;
  older: number;
}

/** The entities to read from one view. */
export interface ViewLookup {
  view: string;
  entities: readonly string[];
}

/**
 * The online store seam: rows of feature views keyed by (view, entity).
 * Every implementation passes test/support/feature-store-contract.ts.
 * Look-ups are batched (one round trip for any number of entities) because
 * the gateway looks up once per micro-batch, never once per row.
 */
export abstract class FeatureStore {
  /** `postgres` or `redis`, as shown on a view. */
  abstract readonly kind: 'postgres' | 'redis';

  /**
   * Writes rows, each replacing its entity's values, unless the store holds
   * a row of that entity with a later event time: an older event never
   * overwrites a newer one (a backfill may run after the live pipeline).
   * Rows of one batch for the same entity: the latest event wins.
   */
  abstract upsert(view: string, rows: readonly FeatureRow[]): Promise<UpsertOutcome>;

  /** The stored rows of `entities` (same order; `undefined` where none), in one round trip. */
  async lookup(view: string, entities: readonly string[]): Promise<(StoredFeatureRow | undefined)[]> {
    return (await this.lookupMany([{ view, entities }]))[0];
  }

  /**
   * The stored rows of several views' entities in one round trip, whatever
   * their number: what a micro-batch whose version reads two views costs.
   * One answer per request, each in its request's entity order.
   */
  abstract lookupMany(requests: readonly ViewLookup[]): Promise<(StoredFeatureRow | undefined)[][]>;

  /** Removes every row of a view. */
  abstract deleteView(view: string): Promise<void>;

  abstract close(): Promise<void>;
}

/** Within one batch, only the latest event of each entity can win; keeps input order otherwise. */
export function latestPerEntity(rows: readonly FeatureRow[]): FeatureRow[] {
  const byEntity = new Map<string, FeatureRow>();
  for (const r of rows) {
    const seen = byEntity.get(r.entity);
    if (!seen || r.eventTime >= seen.eventTime) byEntity.set(r.entity, r);
  }
  return [...byEntity.values()];
}
