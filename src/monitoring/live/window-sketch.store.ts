import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { WindowPartial } from './window-sketch.js';

export interface SeriesKey {
  model: string;
  version: number;
  variant: string;
}

export interface PartialRow extends SeriesKey {
  windowStart: number;
  windowEnd: number;
  partial: WindowPartial;
}

export interface DueWindow extends SeriesKey {
  windowStart: number;
  windowEnd: number;
}

/** `window_sketches`: each replica's partial sketch per series and window. */
@Injectable()
export class WindowSketchStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Replaces this replica's partials of the given windows (each holds everything the replica saw in it so far). */
  async upsert(replicaId: string, rows: readonly PartialRow[]): Promise<void> {
    if (rows.length === 0) return;
    const params: unknown[] = [];
    const values = rows.map((r) => {
      const at = params.length;
      params.push(r.model, r.version, r.variant, new Date(r.windowStart), replicaId, new Date(r.windowEnd), r.partial.rows, JSON.stringify(r.partial));
      return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7}, $${at + 8}::jsonb, now())`;
    });
    await this.dataSource.query(
      `INSERT INTO window_sketches (model_name, version, variant, window_start, replica_id, window_end, rows, sketch, updated_at)
       VALUES ${values.join(', ')}
       ON CONFLICT (model_name, version, variant, window_start, replica_id)
       DO UPDATE SET rows = EXCLUDED.rows, sketch = EXCLUDED.sketch, window_end = EXCLUDED.window_end, updated_at = now()`,
      params,
    );
  }

  /** Windows ended before `endedBefore` with partials and no drift check yet, oldest first. */
  async dueWindows(endedBefore: number, limit = 200): Promise<DueWindow[]> {
    const rows: { model_name: string; version: number; variant: string; window_start: Date; window_end: Date }[] = await this.dataSource.query(
      `SELECT s.model_name, s.version, s.variant, s.window_start, max(s.window_end) AS window_end
         FROM window_sketches s
        WHERE s.window_end <= $1
          AND NOT EXISTS (SELECT 1 FROM drift_checks d
                           WHERE d.model_name = s.model_name AND d.version = s.version
                             AND d.variant = s.variant AND d.window_start = s.window_start)
        GROUP BY s.model_name, s.version, s.variant, s.window_start
        ORDER BY s.window_start
        LIMIT $2`,
      [new Date(endedBefore), limit],
    );
    return rows.map((r) => ({
      model: r.model_name,
      version: r.version,
      variant: r.variant,
      windowStart: r.window_start.getTime(),
      windowEnd: r.window_end.getTime(),
    }));
  }

  /** Every replica's partial of one series' window. */
  async partials(w: SeriesKey & { windowStart: number }): Promise<WindowPartial[]> {
    const rows: { sketch: WindowPartial }[] = await this.dataSource.query(
      `SELECT sketch FROM window_sketches
        WHERE model_name = $1 AND version = $2 AND variant = $3 AND window_start = $4
        ORDER BY replica_id`,
      [w.model, w.version, w.variant, new Date(w.windowStart)],
    );
    return rows.map((r) => r.sketch);
  }

  /** Drops partials of windows ended before `before` (their results live in drift_checks). */
  async prune(before: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM window_sketches WHERE window_end < $1`, [new Date(before)]);
  }
}
