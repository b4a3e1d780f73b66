import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DriftCheckRecord } from './drift-check.record.js';
import type { WindowVerdict } from './drift-decision.js';

export interface DriftCheckQuery {
  model: string;
  version?: number;
  variant?: string;
  from?: Date;
  to?: Date;
  limit: number;
  /** Page after this (window_start ms, id), newest first. */
  after?: { windowStart: number; id: string };
}

const COLUMNS = `id::text AS id, model_name, version, variant, window_start, window_end, rows, judged, features, drifted_features,
  prediction, prediction_drifted, data_quality, data_quality_failed, requests, errors, error_rate,
  latency_p50_ms, latency_p99_ms, latency_histogram, checked_at`;

/** `drift_checks`: one row per series and window, written once. */
@Injectable()
export class DriftChecksStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts a window's result; false when another run already wrote it (the unique key decides). */
  async insert(key: { model: string; version: number; variant: string; windowStart: number; windowEnd: number }, v: WindowVerdict): Promise<boolean> {
    const rows = await this.dataSource.query(
      `INSERT INTO drift_checks (model_name, version, variant, window_start, window_end, rows, judged, features, drifted_features,
         prediction, prediction_drifted, data_quality, data_quality_failed, requests, errors, error_rate,
         latency_p50_ms, latency_p99_ms, latency_histogram, checked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11, $12::jsonb, $13, $14, $15, $16, $17, $18, $19::jsonb, clock_timestamp())
       ON CONFLICT (model_name, version, variant, window_start) DO NOTHING
       RETURNING id`,
      [
        key.model,
        key.version,
        key.variant,
        new Date(key.windowStart),
        new Date(key.windowEnd),
        v.rows,
        v.judged,
        JSON.stringify(v.features),
        v.drifted_features,
        v.prediction === null ? null : JSON.stringify(v.prediction),
        v.prediction_drifted,
        JSON.stringify(v.data_quality),
        v.data_quality_failed,
        v.requests,
        v.errors,
        v.error_rate,
        v.latency_p50_ms,
        v.latency_p99_ms,
        v.latency_histogram === null ? null : JSON.stringify(v.latency_histogram),
      ],
    );
    return rows.length === 1;
  }

  /** A model's checks, newest window first. */
  async list(q: DriftCheckQuery): Promise<DriftCheckRecord[]> {
    const where = ['model_name = $1'];
    const params: unknown[] = [q.model];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.version !== undefined) add('version = ?', q.version);
    if (q.variant !== undefined) add('variant = ?', q.variant);
    if (q.from) add('window_start >= ?', q.from);
    if (q.to) add('window_start < ?', q.to);
    if (q.after) {
      params.push(new Date(q.after.windowStart), q.after.id);
      where.push(`(window_start, id) < ($${params.length - 1}, $${params.length}::bigint)`);
    }
    params.push(q.limit);
    const rows = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM drift_checks WHERE ${where.join(' AND ')} ORDER BY window_start DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /** The newest check of every series of a model (or of every model). */
  async latestPerSeries(model?: string): Promise<DriftCheckRecord[]> {
    const rows = await this.dataSource.query(
      `SELECT DISTINCT ON (model_name, version, variant) ${COLUMNS}
         FROM drift_checks ${model === undefined ? '' : 'WHERE model_name = $1'}
        ORDER BY model_name, version, variant, window_start DESC`,
      model === undefined ? [] : [model],
    );
    return rows.map(toRecord);
  }
}

function toRecord(r: Record<string, any>): DriftCheckRecord {
  return {
    ...r,
    window_start: (r.window_start as Date).toISOString(),
    window_end: (r.window_end as Date).toISOString(),
    checked_at: (r.checked_at as Date).toISOString(),
  } as DriftCheckRecord;
}
