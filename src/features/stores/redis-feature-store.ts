import { Redis } from 'ioredis';
import type { FeatureRow, FeatureValue, StoredFeatureRow } from '../feature-view.js';
import { FeatureStore, latestPerEntity, type UpsertOutcome, type ViewLookup } from './feature-store.js';

/** The hash field holding a row's event time (milliseconds); feature fields hold JSON values. */
const EVENT_TIME_FIELD = '__event_time_ms';

/**
 * Replaces an entity's hash unless it holds a later event, atomically on the
 * server (a read-then-write from here would race another pipeline).
 * KEYS[1] the hash; ARGV[1] the event time; ARGV[2..] field, value pairs.
 */
const UPSERT_SCRIPT = `
local t = redis.call('HGET', KEYS[1], '${EVENT_TIME_FIELD}')
if t and tonumber(t) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${EVENT_TIME_FIELD}', ARGV[1], unpack(ARGV, 2))
return 1`;

/**
 * Reads many hashes in one command, answered as ONE string: each key's
 * HGETALL field, value list joined by the unit separator (0x1f), the keys'
 * lists joined by the record separator (0x1e), an empty record for a key
 * that does not exist. Neither separator can occur inside: field names are
 * feature names (letters, digits, `_ . -`) and values are JSON text, which
 * escapes every control character. One bulk string per batch instead of a
 * reply element per field: the client's RESP parsing was 14 us a key with
 * one HGETALL each (measured), and is a split now. Redis Cluster, where
 * keys of a batch span slots, is not supported.
 */
const LOOKUP_SCRIPT = `
local out = {}
for i = 1, #KEYS do out[i] = table.concat(redis.call('HGETALL', KEYS[i]), '\\31') end
return table.concat(out, '\\30')`;
const FIELD_SEPARATOR = '\x1f';
const KEY_SEPARATOR = '\x1e';
/** Keys per script call: a batch larger than this is split into calls of one pipeline, so no single script runs long on the server. */
const LOOKUP_KEYS_PER_CALL = 2_000;

type ModelgateRedis = Redis & {
  modelgateUpsertRow(key: string, eventTime: string, ...fieldValues: string[]): Promise<number>;
  modelgateLookup(numKeys: number, keys: string[]): Promise<string>;
};

/**
 * Feature rows in Redis: one hash per (view, entity), a field per feature.
 * Writes and look-ups are pipelined, so a batch of any size is one round
 * trip. Keys are `<prefix><view>:<entity>`.
 */
export class RedisFeatureStore extends FeatureStore {
  readonly kind = 'redis' as const;
  private readonly redis: ModelgateRedis;

  constructor(
    url: string,
    private readonly prefix = 'modelgate:features:',
    options: { commandTimeoutMs?: number } = {},
  ) {
    super();
    this.redis = new Redis(url, {
      lazyConnect: false,
      // A store that is down must fail fast: the serving path's breaker and
      // the view's policy decide, no request waits for a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      retryStrategy: (attempt) => Math.min(1_000, attempt * 100),
    }) as ModelgateRedis;
    this.redis.defineCommand('modelgateUpsertRow', { numberOfKeys: 1, lua: UPSERT_SCRIPT });
    this.redis.defineCommand('modelgateLookup', { lua: LOOKUP_SCRIPT });
    // Errors surface on the commands; the client's own event would otherwise crash the process.
    this.redis.on('error', () => undefined);
  }

  /** Resolves once connected (tests and start-up; serving never waits on it). */
  async ready(timeoutMs = 5_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private key(view: string, entity: string): string {
    return `${this.prefix}${view}:${entity}`;
  }

  async upsert(view: string, rows: readonly FeatureRow[]): Promise<UpsertOutcome> {
    if (rows.length === 0) return { written: 0, older: 0 };
    const pipeline = this.redis.pipeline() as unknown as { modelgateUpsertRow(...a: string[]): void; exec(): Promise<[Error | null, unknown][] | null> };
    const latest = latestPerEntity(rows);
    for (const r of latest) {
      const fields: string[] = [];
      for (const [name, value] of Object.entries(r.values)) fields.push(name, JSON.stringify(value));
      pipeline.modelgateUpsertRow(this.key(view, r.entity), String(r.eventTime), ...fields);
    }
    const results = await pipeline.exec();
    let written = 0;
    for (const [err, stored] of results ?? []) {
      if (err) throw err;
      written += Number(stored);
    }
    return { written, older: rows.length - written };
  }

  async lookupMany(requests: readonly ViewLookup[]): Promise<(StoredFeatureRow | undefined)[][]> {
    const total = requests.reduce((n, r) => n + r.entities.length, 0);
    if (total === 0) return requests.map(() => []);
    const keys: string[] = new Array(total);
    let k = 0;
    for (const r of requests) for (const e of r.entities) keys[k++] = this.key(r.view, e);
    let records: string[];
    if (total <= LOOKUP_KEYS_PER_CALL) {
      records = (await this.redis.modelgateLookup(total, keys)).split(KEY_SEPARATOR);
    } else {
      const pipeline = this.redis.pipeline() as unknown as { modelgateLookup(n: number, keys: string[]): void; exec(): Promise<[Error | null, unknown][] | null> };
      for (let at = 0; at < total; at += LOOKUP_KEYS_PER_CALL) {
        const part = keys.slice(at, at + LOOKUP_KEYS_PER_CALL);
        pipeline.modelgateLookup(part.length, part);
      }
      records = [];
      for (const [err, part] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        for (const r of (part as string).split(KEY_SEPARATOR)) records.push(r);
      }
    }
    if (records.length !== total) throw new Error(`the look-up script answered ${records.length} records for ${total} keys`);
    let i = 0;
    return requests.map((r) => r.entities.map(() => decodeHash(records[i++])));
  }

  async deleteView(view: string): Promise<void> {
    const pattern = `${this.prefix}${view.replace(/[*?[\]\\]/g, '\\$&')}:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      if (keys.length) await this.redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** One record of the look-up script (a hash's fields and values); undefined for a key that does not exist. */
function decodeHash(record: string): StoredFeatureRow | undefined {
  if (record.length === 0) return undefined;
  const flat = record.split(FIELD_SEPARATOR);
  let eventTime: number | undefined;
  const values: Record<string, FeatureValue> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i];
    if (field === EVENT_TIME_FIELD) eventTime = Number(flat[i + 1]);
    else values[field] = decodeValue(flat[i + 1]);
  }
  return eventTime === undefined ? undefined : { values, eventTime };
}

/**
 * A stored value (written as JSON). Numbers, nearly every stored value,
 * skip JSON.parse: `Number` reads JSON's number syntax the same way, and
 * what it cannot read (strings, booleans, null) goes to JSON.parse.
 */
function decodeValue(raw: string): FeatureValue {
  const n = Number(raw);
  return n === n && raw.length > 0 && raw.charCodeAt(0) !== 0x20 ? n : (JSON.parse(raw) as FeatureValue);
}
