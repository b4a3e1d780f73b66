import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FeatureType, FeatureViewSpec } from './feature-view.js';
import { FeatureViewExists } from './features.errors.js';

export interface FeatureViewRecord extends FeatureViewSpec {
  created_by: string;
  created_at: string;
}

interface Row {
  name: string;
  description: string;
  entities: string[];
  features: Record<string, FeatureType>;
  ttl_s: number;
  created_by: string;
  created_at: Date;
}

const toRecord = (r: Row): FeatureViewRecord => ({ ...r, created_at: r.created_at.toISOString() });

/** The `feature_views` table: the definitions, in the service's database whichever store holds the rows. */
@Injectable()
export class FeatureViewCatalog {
  /** Definitions change rarely and are read on every look-up: kept for a few seconds. */
  private readonly cache = new Map<string, { record: FeatureViewRecord | undefined; at: number }>();
  private static readonly CACHE_MS = 5_000;

  constructor(private readonly dataSource: DataSource) {}

  async insert(spec: FeatureViewSpec, actor: string): Promise<FeatureViewRecord> {
    const rows: Row[] = await this.dataSource.query(
      `INSERT INTO feature_views (name, description, entities, features, ttl_s, created_by) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
       ON CONFLICT (name) DO NOTHING RETURNING *`,
      [spec.name, spec.description, spec.entities, JSON.stringify(spec.features), spec.ttl_s, actor],
    );
    if (rows.length === 0) throw new FeatureViewExists(spec.name);
    this.cache.delete(spec.name);
    return toRecord(rows[0]);
  }

  async find(name: string): Promise<FeatureViewRecord | undefined> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < FeatureViewCatalog.CACHE_MS) return hit.record;
    const rows: Row[] = await this.dataSource.query('SELECT * FROM feature_views WHERE name = $1', [name]);
    const record = rows[0] ? toRecord(rows[0]) : undefined;
    this.cache.set(name, { record, at: Date.now() });
    return record;
  }

  /** One page by name, after `after` (exclusive); `limit + 1` rows so the caller knows if more follow. */
  async page(limit: number, after?: string): Promise<FeatureViewRecord[]> {
    const rows: Row[] = await this.dataSource.query(
      'SELECT * FROM feature_views WHERE ($1::text IS NULL OR name > $1) ORDER BY name LIMIT $2',
      [after ?? null, limit + 1],
    );
    return rows.map(toRecord);
  }

  async remove(name: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('DELETE FROM feature_views WHERE name = $1 RETURNING 1', [name]);
    this.cache.delete(name);
    return rows.length > 0;
  }
}
