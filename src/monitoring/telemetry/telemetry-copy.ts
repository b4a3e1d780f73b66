import { toJson } from './telemetry-sql.js';
import type { PredictionRecord } from './telemetry-records.js';

/**
 * The prediction batch as `COPY predictions FROM STDIN` text, the
 * alternative to the multi-row INSERT of telemetry-sql.ts that the write
 * path measures against (see bench/standalone/prediction-log.mjs). COPY has
 * no ON CONFLICT, so a batch that hits a unique violation (a retry after a
 * lost commit answer) falls back to the INSERT's conflict-tolerant form.
 */
export const PREDICTIONS_COPY_SQL =
  'COPY predictions (id, model, version, variant, protocol, fallback, created_at, latency_ms, score, label, outputs, inputs) FROM STDIN';

export interface CopyBatch {
  text: string;
  rows: number;
  rejected: number;
}

const NULL = '\\N';

// COPY's text format: backslash, tab, newline and carriage return are escaped;
// NUL cannot be sent at all and is replaced, as the INSERT path does.
function esc(s: string): string {
  if (!/[\\\t\n\r\u0000]/.test(s)) return s;
  return s.replace(/[\\\t\n\r\u0000]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\uFFFD'));
}

function num(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : NULL;
}

export function predictionsCopy(records: readonly PredictionRecord[]): CopyBatch {
  let text = '';
  let rows = 0;
  for (const r of records) {
    try {
      if (!r || typeof r.id !== 'string' || !Number.isInteger(r.version) || typeof r.createdAt !== 'number' || !Number.isFinite(r.createdAt) || !Number.isFinite(r.latencyMs)) continue;
      const out = r.outputs === undefined ? null : toJson(r.outputs);
      const inp = r.inputs === undefined ? null : toJson(r.inputs);
      text +=
        esc(r.id) + '\t' + esc(String(r.model)) + '\t' + r.version + '\t' + esc(String(r.variant)) + '\t' + esc(String(r.protocol)) + '\t' +
        (r.fallback === true ? 't' : 'f') + '\t' + new Date(r.createdAt).toISOString() + '\t' + num(r.latencyMs) + '\t' + num(r.score) + '\t' +
        (r.label === undefined || r.label === null ? NULL : esc(String(r.label))) + '\t' +
        (out === null ? NULL : esc(out)) + '\t' + (inp === null ? NULL : esc(inp)) + '\n';
      rows++;
    } catch {
      // Not serialisable: counted as rejected.
    }
  }
  return { text, rows, rejected: records.length - rows };
}
