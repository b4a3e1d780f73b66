import { eventually } from './app.js';
import { withClient } from './database.js';

export interface CheckRow {
  model: string;
  version: number;
  variant?: string;
  /** Window index: window i spans [base + i*60 s, base + (i+1)*60 s). */
  window: number;
  judged?: boolean;
  drifted?: string[];
  dataQualityFailed?: string[];
  requests?: number;
  errors?: number;
  p99?: number | null;
}

const BASE = Date.parse('2026-12-01T00:00:00Z');

/**
 * Writes a window result the way the drift check does, into the drift
 * engineer's `drift_checks` table (their migration), so the evaluator reads
 * real rows through its real reader.
 */
export async function insertCheck(url: string, r: CheckRow): Promise<number> {
  const start = new Date(BASE + r.window * 60_000);
  const end = new Date(start.getTime() + 60_000);
  const drifted = r.drifted ?? [];
  const dq = r.dataQualityFailed ?? [];
  const res = await withClient(url, (c) =>
    c.query(
      `INSERT INTO drift_checks (model_name, version, variant, window_start, window_end, rows, judged, features, drifted_features,
                                 prediction, prediction_drifted, data_quality, data_quality_failed, requests, errors, error_rate, latency_p99_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, '[]', $8, NULL, false, '[]', $9, $10, $11, $12, $13) RETURNING id`,
      [r.model, r.version, r.variant ?? 'production', start, end, r.judged === false ? 10 : 1000, r.judged !== false, drifted, dq, r.requests ?? 1000, r.errors ?? 0, (r.errors ?? 0) / (r.requests ?? 1000), r.p99 ?? 12],
    ),
  );
  return Number(res.rows[0].id);
}

/** Waits until the elected evaluator (in whichever process leads) has read drift check `id`. */
export async function evaluated(url: string, id: number, timeoutMs = 15_000): Promise<void> {
  await eventually(
    () => withClient(url, async (c) => Number((await c.query(`SELECT last_id FROM alert_cursors WHERE name = 'drift_checks'`)).rows[0]?.last_id ?? 0) >= id),
    timeoutMs,
    50,
  );
}

/** The (dedup key, event) pairs a loopback webhook got; keep-alive re-sends only when asked for. */
export function webhookEvents(received: { body: any }[], withResends = false): string[] {
  return received.filter((r) => withResends || r.body.event !== 'resend').map((r) => `${r.body.dedup_key} ${r.body.event}`);
}
export function pagerDutyEvents(received: { body: any }[]): string[] {
  return received.map((r) => `${r.body.dedup_key} ${r.body.event_action}`);
}
