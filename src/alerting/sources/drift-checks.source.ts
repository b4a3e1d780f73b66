import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { CheckWindow } from '../rules/conditions.js';

/** Where evaluation stopped: the `checked_at` text as PostgreSQL wrote it (microseconds kept) and the row id. */
export interface CheckCursor {
  checkedAt: string;
  id: string;
}

export interface DriftCheckRow extends CheckWindow {
  model: string;
  version: number;
  variant: string;
  windowStart: Date;
  windowEnd: Date;
  cursor: CheckCursor;
}

/**
 * The monitor's `drift_checks` rows (one per series and window, written by
 * the drift check), read in `(checked_at, id)` order after a durable cursor so a
 * new leader goes on where the old one stopped. A re-checked window comes
 * again with a later `checked_at`; the evaluator skips windows it judged.
 */
@Injectable()
export class DriftChecksSource {
  constructor(private readonly dataSource: DataSource) {}

  /** False until the monitor's migration has created the table (alerting then has nothing to read). */
  async available(): Promise<boolean> {
    const [r] = await this.dataSource.query(`SELECT to_regclass('drift_checks') IS NOT NULL AS ok`);
    return r.ok;
  }

  async after(cursor: CheckCursor | null, limit: number): Promise<DriftCheckRow[]> {
    const rows: any[] = await this.dataSource.query(
      `SELECT id, model_name, version, variant, window_start, window_end, judged, drifted_features,
              CASE WHEN prediction IS NULL THEN NULL ELSE prediction_drifted END AS prediction_drifted,
              data_quality_failed, requests, errors, latency_p99_ms, checked_at::text AS checked_at_text
         FROM drift_checks
        WHERE ($1::timestamptz IS NULL OR (checked_at, id) > ($1::timestamptz, $2::bigint))
        ORDER BY checked_at, id
        LIMIT $3`,
      [cursor?.checkedAt ?? null, cursor?.id ?? '0', limit],
    );
    return rows.map((r) => ({
      model: r.model_name,
      version: Number(r.version),
      variant: r.variant,
      windowStart: r.window_start,
      windowEnd: r.window_end,
      judged: !!r.judged,
      driftedFeatures: r.drifted_features ?? [],
      predictionDrifted: r.prediction_drifted ?? null,
      dataQualityFailed: r.data_quality_failed ?? [],
      requests: Number(r.requests ?? 0),
      errors: Number(r.errors ?? 0),
      latencyP99Ms: r.latency_p99_ms === null || r.latency_p99_ms === undefined ? null : Number(r.latency_p99_ms),
      cursor: { checkedAt: r.checked_at_text, id: String(r.id) },
    }));
  }

  /**
   * A version's p99 while it served: the median of its per-window p99 over
   * its last `windows` windows with traffic, so one bad window of the old
   * version does not lower the bar for the new one.
   */
  async servedP99Ms(model: string, version: number, windows = 24): Promise<number | null> {
    const [r] = await this.dataSource.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_p99_ms) AS p99
         FROM (SELECT latency_p99_ms FROM drift_checks
                WHERE model_name = $1 AND version = $2 AND requests > 0 AND latency_p99_ms IS NOT NULL
                ORDER BY window_end DESC LIMIT $3) w`,
      [model, version, windows],
    );
    return r?.p99 === null || r?.p99 === undefined ? null : Number(r.p99);
  }

  async loadCursor(em: EntityManager, name: string): Promise<CheckCursor | null> {
    const [r] = await em.query(`SELECT checked_at::text AS checked_at, last_id FROM alert_cursors WHERE name = $1`, [name]);
    return r ? { checkedAt: r.checked_at, id: String(r.last_id) } : null;
  }

  async saveCursor(em: EntityManager, name: string, c: CheckCursor): Promise<void> {
    await em.query(
      `INSERT INTO alert_cursors (name, checked_at, last_id) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET checked_at = EXCLUDED.checked_at, last_id = EXCLUDED.last_id, updated_at = now()`,
      [name, c.checkedAt, c.id],
    );
  }
}
