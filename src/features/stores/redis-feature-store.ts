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
 * Reads many hashes in one command: an array per key of its HGETALL field,
 * value pairs (empty for a key that does not exist). One command per batch
 * instead of one HGETALL each: the client builds, sends, parses and settles
 * one command, not hundreds (all keys of a deployment live on one server;
 * Redis Cluster, where keys of a batch span slots, is not supported).
 */
const LOOKUP_SCRIPT = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return out`;
/** Keys per script call: a batch larger than this is split into calls of one pipeline, so no single script runs long on the server. */
const LOOKUP_KEYS_PER_CALL = 2_000;

type ModelgateRedis = Redis & {
  modelgateUpsertRow(key: string, eventTime: string, ...fieldValues: string[]): Promise<number>;
  modelgateLookup(numKeys: number, keys: string[]): Promise<string[][]>;
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
    let hashes: string[][];
    if (total <= LOOKUP_KEYS_PER_CALL) {
      hashes = await this.redis.modelgateLookup(total, keys);
    } else {
      const pipeline = this.redis.pipeline() as unknown as { modelgateLookup(n: number, keys: string[]): void; exec(): Promise<[Error | null, unknown][] | null> };
      for (let at = 0; at < total; at += LOOKUP_KEYS_PER_CALL) {
        const part = keys.slice(at, at + LOOKUP_KEYS_PER_CALL);
        pipeline.modelgateLookup(part.length, part);
      }
      hashes = [];
      for (const [err, part] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        for (const h of part as string[][]) hashes.push(h);
      }
    }
    let i = 0;
    return requests.map((r) => r.entities.map(() => decodeHash(hashes[i++])));
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

/** A hash as HGETALL's flat field, value list; undefined for a key that does not exist. */
function decodeHash(flat: readonly string[] | undefined): StoredFeatureRow | undefined {
  if (!flat || flat.length === 0) return undefined;
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
