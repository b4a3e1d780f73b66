import { z } from 'zod';
import { nameSchema } from '../common/validation.js';

/**
 * A feature view: a named set of typed features about one kind of entity
 * (a customer, a merchant), keyed by the entity's id columns, with a time to
 * live after which a stored value is stale. Rows are written by a data
 * pipeline and read by the gateway at prediction time. Pure: no Nest, no I/O.
 */
export const FEATURE_TYPES = ['float', 'int', 'string', 'bool'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

/** A column name of a view (entity key or feature): what a CSV header or a JSON key may hold. */
const COLUMN_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const columnName = (what: string) => z.string().regex(COLUMN_PATTERN, `${what} must match ${COLUMN_PATTERN.source}`);

/** The column a row's event time is read from; it is neither an entity key nor a feature. */
export const EVENT_TIME_COLUMN = 'event_time';

export const featureViewSchema = z
  .strictObject({
    name: nameSchema('name'),
    description: z.string().max(5000).default(''),
    entities: z.array(columnName('an entity key')).min(1, 'a view needs at least one entity key').max(4, 'at most 4 entity keys'),
    features: z
      .record(columnName('a feature name'), z.enum(FEATURE_TYPES, { message: `a feature type is one of ${FEATURE_TYPES.join(', ')}` }))
      .refine((f) => Object.keys(f).length >= 1, 'a view needs at least one feature')
      .refine((f) => Object.keys(f).length <= 1000, 'at most 1000 features'),
    ttl_s: z.int('ttl_s must be an integer number of seconds').min(1).max(10 * 365 * 86_400),
  })
  .superRefine((v, ctx) => {
    for (const e of v.entities) {
      if (e in v.features) ctx.addIssue({ code: 'custom', path: ['features', e], message: `"${e}" is an entity key; it cannot also be a feature` });
    }
    if (new Set(v.entities).size !== v.entities.length) ctx.addIssue({ code: 'custom', path: ['entities'], message: 'entity keys must be distinct' });
    for (const name of [...v.entities, ...Object.keys(v.features)]) {
      if (name === EVENT_TIME_COLUMN) ctx.addIssue({ code: 'custom', path: ['features'], message: `"${EVENT_TIME_COLUMN}" is reserved for the row's event time` });
    }
  });

export type FeatureViewSpec = z.infer<typeof featureViewSchema>;
export type FeatureValue = number | string | boolean | null;

/** One row for the store: the entity's id, its feature values, and when they were true. */
export interface FeatureRow {
  entity: string;
  values: Record<string, FeatureValue>;
  /** Milliseconds since the epoch. */
  eventTime: number;
}

/** A row as the store holds it, as read back. */
export interface StoredFeatureRow {
  values: Record<string, FeatureValue>;
  eventTime: number;
}

/**
 * The store key of an entity from its id values, in the view's key order.
 * Ids are strings (numbers are accepted and written in their JSON form); a
 * view with several keys joins them with a unit separator, which no
 * printable id holds.
 */
export function entityKey(ids: readonly string[]): string {
  return ids.length === 1 ? ids[0] : ids.join('\u001f');
}

/** A caller's entity id as the store keys it: a string, or a finite number stringified. */
export function entityId(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 && value.length <= 256 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export class FeatureRowError extends Error {
  constructor(
    message: string,
    /** 0-based row index in the request. */
    readonly row: number,
    readonly field: string,
  ) {
    super(message);
  }
}

/** A feature's value from JSON, or from CSV text when `fromText` is set; `null` is a missing value. */
export function featureValue(type: FeatureType, raw: unknown, fromText: boolean): FeatureValue | undefined {
  if (raw === null || (fromText && raw === '')) return null;
  switch (type) {
    case 'float': {
      const n = fromText && typeof raw === 'string' ? Number(raw) : raw;
      return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
    }
    case 'int': {
      const n = fromText && typeof raw === 'string' ? Number(raw) : raw;
      return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (fromText && typeof raw === 'string') {
        const t = raw.toLowerCase();
        if (t === 'true' || t === '1') return true;
        if (t === 'false' || t === '0') return false;
      }
      return undefined;
    case 'string':
      return typeof raw === 'string' && raw.length <= 10_000 ? raw : undefined;
  }
}

/** An event time from an RFC 3339 string or epoch milliseconds; absent means `now`. */
export function eventTimeOf(raw: unknown, now: number, fromText: boolean): number | undefined {
  if (raw === undefined || raw === null || raw === '') return now;
  if (typeof raw === 'number' || (fromText && typeof raw === 'string' && /^\d+$/.test(raw))) {
    const ms = Number(raw);
    return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
  }
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(raw)) return undefined;
  const ms = Date.parse(raw);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Decodes rows for a view, from JSON objects or from CSV records (strings,
 * with `fromText`). Every column must be an entity key, a feature of the
 * view or `event_time`; entity keys are required; an absent feature is
 * stored as missing (`null`). The first bad value fails the whole batch,
 * naming its row and column, so a pipeline never half-writes a batch.
 */
export function decodeFeatureRows(view: FeatureViewSpec, records: readonly Record<string, unknown>[], now: number, fromText = false): FeatureRow[] {
  const features = Object.entries(view.features);
  const known = new Set<string>([...view.entities, ...features.map(([f]) => f), EVENT_TIME_COLUMN]);
  return records.map((record, i) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new FeatureRowError(`row ${i} must be an object`, i, `rows.${i}`);
    for (const column of Object.keys(record)) {
      if (!known.has(column)) throw new FeatureRowError(`row ${i}: "${column}" is not an entity key or feature of view "${view.name}"`, i, column);
    }
    const ids = view.entities.map((e) => {
      const id = entityId(record[e]);
      if (id === undefined) throw new FeatureRowError(`row ${i}: entity key "${e}" must be a non-empty string (at most 256 characters) or a number`, i, e);
      return id;
    });
    const values: Record<string, FeatureValue> = {};
    for (const [name, type] of features) {
      const raw = record[name];
      if (raw === undefined) {
        values[name] = null;
        continue;
      }
      const v = featureValue(type, raw, fromText);
      if (v === undefined) throw new FeatureRowError(`row ${i}: feature "${name}" must be ${type === 'int' ? 'an integer' : `a ${type}`} or null`, i, name);
      values[name] = v;
    }
    const eventTime = eventTimeOf(record[EVENT_TIME_COLUMN], now, fromText);
    if (eventTime === undefined) throw new FeatureRowError(`row ${i}: event_time must be an RFC 3339 time or epoch milliseconds`, i, EVENT_TIME_COLUMN);
    return { entity: entityKey(ids), values, eventTime };
  });
}

/** CSV records (header + rows of text) as objects keyed by the header, for `decodeFeatureRows(..., fromText)`. */
export function csvRecords(header: readonly string[], rows: readonly string[][]): Record<string, unknown>[] {
  return rows.map((r, i) => {
    if (r.length !== header.length) throw new FeatureRowError(`row ${i}: ${r.length} fields, the header has ${header.length}`, i, `rows.${i}`);
    const o: Record<string, unknown> = {};
    header.forEach((h, j) => (o[h] = r[j]));
    return o;
  });
}

/** Whether a stored value is stale for a view: older than its time to live at `now`. */
export function isStale(view: Pick<FeatureViewSpec, 'ttl_s'>, eventTime: number, now: number): boolean {
  return now - eventTime > view.ttl_s * 1000;
}
