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

type ModelgateRedis = Redis & { modelgateUpsertRow(key: string, eventTime: string, ...fieldValues: string[]): Promise<number> };

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
    const pipeline = this.redis.pipeline();
    for (const r of requests) for (const e of r.entities) pipeline.hgetall(this.key(r.view, e));
    const results = (await pipeline.exec()) ?? [];
    let i = 0;
    return requests.map((r) => r.entities.map(() => decodeHash(results[i++])));
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

function decodeHash([err, hash]: [Error | null, unknown]): StoredFeatureRow | undefined {
  if (err) throw err;
  const h = hash as Record<string, string>;
  const t = h[EVENT_TIME_FIELD];
  if (t === undefined) return undefined;
  const values: Record<string, FeatureValue> = {};
  for (const [field, raw] of Object.entries(h)) if (field !== EVENT_TIME_FIELD) values[field] = JSON.parse(raw) as FeatureValue;
  return { values, eventTime: Number(t) };
}
