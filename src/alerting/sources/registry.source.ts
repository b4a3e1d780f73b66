import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ModelAlerting {
  policy: Record<string, unknown>;
  /** Versions something can reach: any alias, a traffic route, the shadow or the fallback. */
  serving: Set<number>;
  /** What `production` pointed at before its current version, if it moved. */
  previousProduction: number | null;
  /** Whether any version registered a validation AUC (a bar for the AUC rule without `auc_min`). */
  hasValidationAuc: boolean;
}

/**
 * What alerting reads of the registry, straight from its tables: the
 * monitoring policy, which versions still serve, and the previous
 * production version. Read-only, and the one place alerting knows the
 * registry's schema.
 */
@Injectable()
export class RegistrySource {
  constructor(private readonly dataSource: DataSource) {}

  async modelNames(): Promise<string[]> {
    const rows: { name: string }[] = await this.dataSource.query(`SELECT name FROM models ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async model(name: string): Promise<ModelAlerting | null> {
    const [m] = await this.dataSource.query(`SELECT id, monitoring_policy, traffic_policy FROM models WHERE name = $1`, [name]);
    if (!m) return null;
    const aliases: { alias: string; version: number }[] = await this.dataSource.query(`SELECT alias, version FROM model_aliases WHERE model_id = $1`, [m.id]);
    const byAlias = new Map(aliases.map((a) => [a.alias, Number(a.version)]));
    const serving = new Set(byAlias.values());
    const t = m.traffic_policy as { routes?: { version?: number; alias?: string }[]; shadow?: number[]; fallback?: number } | null;
    for (const r of t?.routes ?? []) {
      const v = r.version ?? (r.alias ? byAlias.get(r.alias) : undefined);
      if (v !== undefined) serving.add(v);
    }
    for (const v of t?.shadow ?? []) serving.add(v);
    if (t?.fallback !== undefined) serving.add(t.fallback);

    const current = byAlias.get('production');
    const [prev] =
      current === undefined
        ? []
        : await this.dataSource.query(
            `SELECT (before->'aliases'->>'production')::int AS version FROM serving_revisions
              WHERE model_id = $1 AND (after->'aliases'->>'production')::int = $2
                AND before->'aliases'->>'production' IS NOT NULL AND (before->'aliases'->>'production')::int <> $2
              ORDER BY revision DESC LIMIT 1`,
            [m.id, current],
          );
    const [auc] = await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM model_versions WHERE model_id = $1 AND metrics ? 'auc') AS has`, [m.id]);
    return { policy: m.monitoring_policy ?? {}, serving, previousProduction: prev?.version ?? null, hasValidationAuc: !!auc?.has };
  }
}
