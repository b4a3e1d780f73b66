import { boolArray, nullableNumberArray, numberArray, sparseJsonRows, textArray } from './pg-array.js';
import type { PredictionRecord, ShadowRecord } from './telemetry-records.js';

/** One multi-row INSERT: one array parameter per column, so a batch is one statement and one round trip. */
export interface Statement {
  sql: string;
  params: unknown[];
  /** Records kept in `params`. */
  rows: number;
  /** The same insert, skipping rows already stored: for a retry after a unique violation. */
  retrySql: string;
  /** Records that cannot be stored at all (not JSON-serialisable, wrong types); the caller drops and counts them. */
  rejected: number;
}

// created_at travels as epoch milliseconds (float8) and becomes timestamptz in
// SQL, so no Date or ISO string is built per record. The JSON columns are
// sparse: most rows have none, so they travel as one JSON object keyed by
// row index (see sparseJsonRows) and each row looks itself up.
//
// No ON CONFLICT on the first attempt: it cost PostgreSQL 2.4 us a row,
// about a third of the insert. A duplicate id only arises when a batch is
// retried after a commit whose answer was lost; the channel then retries
// with `retrySql`, which skips the rows already stored.
export const PREDICTIONS_SQL = `INSERT INTO predictions (id, model, version, variant, protocol, fallback, created_at, latency_ms, score, label, outputs, inputs, feature_source)
SELECT r.id, r.model, r.version, r.variant, r.protocol, r.fallback, to_timestamp(r.created_ms / 1000), r.latency_ms, r.score, r.label,
  $11::jsonb -> (r.n - 1)::text, $12::jsonb -> (r.n - 1)::text, r.feature_source
FROM unnest($1::uuid[], $2::text[], $3::int4[], $4::text[], $5::text[], $6::bool[], $7::float8[], $8::float4[], $9::float8[], $10::text[], $13::int2[])
  WITH ORDINALITY AS r(id, model, version, variant, protocol, fallback, created_ms, latency_ms, score, label, feature_source, n)`;

export const SHADOW_SQL = `INSERT INTO shadow_predictions (prediction_id, model, version, created_at, latency_ms, score, label, outputs, error, feature_source)
SELECT r.prediction_id, r.model, r.version, to_timestamp(r.created_ms / 1000), r.latency_ms, r.score, r.label, $8::jsonb -> (r.n - 1)::text, r.error, r.feature_source
FROM unnest($1::uuid[], $2::text[], $3::int4[], $4::float8[], $5::float4[], $6::float8[], $7::text[], $9::text[], $10::int2[])
  WITH ORDINALITY AS r(prediction_id, model, version, created_ms, latency_ms, score, label, error, feature_source, n)`;

const ON_CONFLICT = '\nON CONFLICT DO NOTHING';

/**
 * The prediction batch as one INSERT: what the recorder used before the
 * binary COPY of telemetry-copy.ts, kept as the alternative the
 * prediction-log benchmark measures it against.
 */
export function predictionsStatement(records: readonly PredictionRecord[]): Statement {
  const n = records.length;
  const id: string[] = new Array(n);
  const model: string[] = new Array(n);
  const version: number[] = new Array(n);
  const variant: string[] = new Array(n);
  const protocol: string[] = new Array(n);
  const fallback: boolean[] = new Array(n);
  const created: number[] = new Array(n);
  const latency: number[] = new Array(n);
  const score: (number | undefined)[] = new Array(n);
  const label: (string | null)[] = new Array(n);
  const outputs: (string | null)[] = new Array(n);
  const inputs: (string | null)[] = new Array(n);
  const source: number[] = new Array(n);
  let k = 0;
  for (const r of records) {
    try {
      if (!r || typeof r.id !== 'string' || !Number.isInteger(r.version) || !isNum(r.createdAt) || !isNum(r.latencyMs)) continue;
      const out = r.outputs === undefined ? null : toJson(r.outputs);
      const inp = r.inputs === undefined ? null : toJson(r.inputs);
      id[k] = r.id;
      model[k] = text(r.model);
      version[k] = r.version;
      variant[k] = text(r.variant);
      protocol[k] = text(r.protocol);
      fallback[k] = r.fallback === true;
      created[k] = r.createdAt;
      latency[k] = r.latencyMs;
      score[k] = r.score;
      label[k] = r.label === undefined || r.label === null ? null : text(r.label);
      outputs[k] = out;
      inputs[k] = inp;
      source[k] = r.lookedUp === true ? 1 : 0;
      k++;
    } catch {
      // Not serialisable (a BigInt, a cycle): counted as rejected below.
    }
  }
  for (const c of [id, model, version, variant, protocol, fallback, created, latency, score, label, outputs, inputs, source]) c.length = k;
  return {
    sql: PREDICTIONS_SQL,
    retrySql: PREDICTIONS_SQL + ON_CONFLICT,
    params: [
      textArray(id),
      textArray(model),
      numberArray(version),
      textArray(variant),
      textArray(protocol),
      boolArray(fallback),
      numberArray(created),
      numberArray(latency),
      nullableNumberArray(score),
      textArray(label),
      sparseJsonRows(outputs),
      sparseJsonRows(inputs),
      numberArray(source),
    ],
    rows: k,
    rejected: n - k,
  };
}

export function shadowStatement(records: readonly ShadowRecord[]): Statement {
  const n = records.length;
  const id: string[] = new Array(n);
  const model: string[] = new Array(n);
  const version: number[] = new Array(n);
  const created: number[] = new Array(n);
  const latency: number[] = new Array(n);
  const score: (number | undefined)[] = new Array(n);
  const label: (string | null)[] = new Array(n);
  const outputs: (string | null)[] = new Array(n);
  const error: (string | null)[] = new Array(n);
  const source: number[] = new Array(n);
  let k = 0;
  for (const r of records) {
    try {
      if (!r || typeof r.predictionId !== 'string' || !Number.isInteger(r.version) || !isNum(r.createdAt) || !isNum(r.latencyMs)) continue;
      const out = r.outputs === undefined ? null : toJson(r.outputs);
      id[k] = r.predictionId;
      model[k] = text(r.model);
      version[k] = r.version;
      created[k] = r.createdAt;
      latency[k] = r.latencyMs;
      score[k] = r.score;
      label[k] = r.label === undefined || r.label === null ? null : text(r.label);
      outputs[k] = out;
      error[k] = r.error === undefined || r.error === null ? null : text(r.error);
      source[k] = r.lookedUp === true ? 1 : 0;
      k++;
    } catch {
      // Not serialisable: counted as rejected below.
    }
  }
  for (const c of [id, model, version, created, latency, score, label, outputs, error, source]) c.length = k;
  return {
    sql: SHADOW_SQL,
    retrySql: SHADOW_SQL + ON_CONFLICT,
    params: [
      textArray(id),
      textArray(model),
      numberArray(version),
      numberArray(created),
      numberArray(latency),
      nullableNumberArray(score),
      textArray(label),
      sparseJsonRows(outputs),
      textArray(error),
      numberArray(source),
    ],
    rows: k,
    rejected: n - k,
  };
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

// PostgreSQL text and jsonb cannot hold U+0000, and one such value would fail
// the whole batch; a client can put it in a feature string, so it is
// replaced rather than left to fail.
const NUL = '\u0000';
const NUL_ESCAPE = '\\u0000';
const REPLACEMENT = '\uFFFD';

function text(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  return s.includes(NUL) ? s.replaceAll(NUL, REPLACEMENT) : s;
}

/** JSON text for a jsonb column, or null when the value has no JSON form (undefined, a function). */
export function toJson(value: unknown): string | null {
  const json = JSON.stringify(value);
  if (json === undefined) return null;
  if (!json.includes(NUL_ESCAPE)) return json;
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string') return text(v);
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((key) => key.includes(NUL))) {
      return Object.fromEntries(Object.entries(v).map(([key, x]) => [text(key), x]));
    }
    return v;
  });
}
