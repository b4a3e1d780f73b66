import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { VersionCalibration } from '../estimate/calibration.js';
import type { BaselineSketch } from '../sketch/baseline-sketch.js';

export interface VersionMonitoringInfo {
  featureNames: string[];
  baseline: BaselineSketch | null;
  policy: Record<string, unknown>;
}

/**
 * What monitoring reads of the registry: a version's features and training
 * baseline, and its model's monitoring policy. Raw SQL on the registry's
 * tables, so monitoring imports nothing of the registry module.
 */
@Injectable()
export class VersionBaselines {
  constructor(private readonly dataSource: DataSource) {}

  async get(model: string, version: number): Promise<VersionMonitoringInfo | undefined> {
    const rows: { feature_names: string[]; baseline: BaselineSketch | null; monitoring_policy: Record<string, unknown> }[] = await this.dataSource.query(
      `SELECT v.feature_names, v.baseline, m.monitoring_policy
         FROM models m JOIN model_versions v ON v.model_id = m.id
        WHERE m.name = $1 AND v.version = $2`,
      [model, version],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { featureNames: r.feature_names ?? [], baseline: r.baseline ?? null, policy: r.monitoring_policy ?? {} };
  }

  /**
   * A version's calibration on its labelled baseline, computed at upload
   * (what `estimatePerformance` needs); null when it has none (not binary,
   * no labels in its baseline, or uploaded before calibration was kept:
   * its baseline rows are not stored, so it cannot be recomputed, and
   * estimates are refused until a version is uploaded with a labelled
   * baseline); undefined when the version does not exist.
   */
  async calibration(model: string, version: number): Promise<VersionCalibration | null | undefined> {
    const rows: { calibration: VersionCalibration | null }[] = await this.dataSource.query(
      `SELECT v.calibration FROM models m JOIN model_versions v ON v.model_id = m.id WHERE m.name = $1 AND v.version = $2`,
      [model, version],
    );
    return rows.length === 0 ? undefined : (rows[0].calibration ?? null);
  }

  /** The monitoring policy of each named model that exists. */
  async policies(models: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    if (models.length === 0) return new Map();
    const rows: { name: string; monitoring_policy: Record<string, unknown> }[] = await this.dataSource.query(
      `SELECT name, monitoring_policy FROM models WHERE name = ANY($1)`,
      [models],
    );
    return new Map(rows.map((r) => [r.name, r.monitoring_policy ?? {}]));
  }
}
