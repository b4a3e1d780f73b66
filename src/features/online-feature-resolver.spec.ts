import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { loadConfig } from '../config/config.schema.js';
import { DatabaseConnection } from '../database/database.connection.js';
import { FeatureMetrics } from '../metrics/feature-metrics.js';
import { Metrics } from '../metrics/metrics.js';
import { findBinary } from '../../test/support/binaries.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { startRedis, type TestRedis } from '../../test/support/redis.js';
import { FeatureViewCatalog } from './feature-view.catalog.js';
import { OnlineFeatureResolver } from './online-feature-resolver.js';
import { onlineFeaturesSchema } from './online-features.js';
import type { FeatureStore } from './stores/feature-store.js';
import { PostgresFeatureStore } from './stores/postgres-feature-store.js';
import { RedisFeatureStore } from './stores/redis-feature-store.js';

/** A loopback TCP relay that counts the chunks the client sends: one per round trip of a pipelined exchange. */
async function countingRelay(targetPort: number): Promise<{ port: number; sends: () => number; close(): void }> {
  let sends = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.on('data', (d) => (sends++, upstream.write(d)));
    upstream.on('data', (d) => client.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, sends: () => sends, close: () => (server.close(), sockets.forEach((s) => s.destroy())) };
}

const redisBin = findBinary('redis-server');
if (!redisBin && process.env.MODELGATE_TEST_REQUIRE_ALL === '1') throw new Error('redis-server is required (MODELGATE_TEST_REQUIRE_ALL=1)');
const kinds = redisBin ? (['postgres', 'redis'] as const) : (['postgres'] as const);

const BLOCK = onlineFeaturesSchema.parse({
  // Generous: these tests are about what is read, not the budget (a loaded CI machine may be slow).
  timeout_ms: 5_000,
  entities: ['customer_id', 'merchant_id'],
  features: {
    income: 'customer_profile:income',
    debt: { ref: 'customer_profile:debt', on_missing: 'default', default: 0 },
    risk: { ref: 'merchant_risk:score', on_missing: 'missing' },
  },
});

describe.each(kinds)('filling batches from the %s store', (kind) => {
  let db: TestDatabase;
  let connection: DatabaseConnection;
  let redis: TestRedis | undefined;
  let relay: Awaited<ReturnType<typeof countingRelay>> | undefined;
  let store: FeatureStore;
  let writer: FeatureStore;
  let metrics: Metrics;
  let resolver: OnlineFeatureResolver;
  let pgReads = 0;
  const prefix = `t-${randomBytes(4).toString('hex')}:`;
  /** Store round trips, counted on the wire (Redis) or per statement (PostgreSQL). */
  const roundTrips = () => (kind === 'redis' ? relay!.sends() : pgReads);

  beforeAll(async () => {
    db = await createTestDatabase();
    connection = await DatabaseConnection.open(
      loadConfig({ DATABASE_URL: db.url, MODELGATE_ADMIN_TOKEN: 'mgk_testadmin_0123456789abcdefghijklmnopqrstuv', MODELGATE_DATA_DIR: '/tmp' }),
      createLogger('silent'),
    );
    const ds = connection.dataSource;
    const catalog = new FeatureViewCatalog(ds);
    await catalog.insert({ name: 'customer_profile', description: '', entities: ['customer_id'], features: { income: 'float', debt: 'float' }, ttl_s: 60 }, 'test');
    await catalog.insert({ name: 'merchant_risk', description: '', entities: ['merchant_id'], features: { score: 'float' }, ttl_s: 3600 }, 'test');
    if (kind === 'redis') {
      redis = await startRedis(redisBin!);
      relay = await countingRelay(redis.port);
      store = new RedisFeatureStore(`redis://127.0.0.1:${relay.port}`, prefix);
      writer = new RedisFeatureStore(redis.url, prefix);
      await Promise.all([(store as RedisFeatureStore).ready(), (writer as RedisFeatureStore).ready()]);
    } else {
      const query = ds.query.bind(ds);
      ds.query = ((sql: string, params?: unknown[]) => {
        if (/^\s*SELECT[\s\S]*FROM feature_rows/.test(sql)) pgReads++;
        return query(sql, params);
      }) as typeof ds.query;
      store = writer = new PostgresFeatureStore(ds);
    }
    metrics = new Metrics();
    resolver = new OnlineFeatureResolver(catalog, store, new FeatureMetrics(metrics));
    const now = Date.now();
    await writer.upsert('customer_profile', [
      { entity: 'c-1', values: { income: 5200.5, debt: 120 }, eventTime: now - 1_000 },
      { entity: 'c-2', values: { income: 3100, debt: null }, eventTime: now - 2_000 },
      { entity: 'c-old', values: { income: 10, debt: 10 }, eventTime: now - 61_000 },
    ]);
    await writer.upsert('merchant_risk', [{ entity: 'm-1', values: { score: 0.25 }, eventTime: now - 5_000 }]);
  });
  afterAll(async () => {
    await store?.close();
    if (writer !== store) await writer?.close();
    relay?.close();
    await redis?.stop();
    await connection?.close();
    await db?.drop();
  });

  it('reads every view and entity of a batch in one store round trip, not one per row', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => ({ customer_id: ['c-1', 'c-2'][i % 2], merchant_id: i < 4 ? 'm-1' : 'm-none', amount: i }));
    const before = roundTrips();
    const batch = await resolver.fill('credit', 3, BLOCK, rows);
    expect(roundTrips() - before).toBe(1);
    expect(batch.reads).toBe(1);
    expect(batch.rows[0].values).toEqual({ customer_id: 'c-1', merchant_id: 'm-1', amount: 0, income: 5200.5, debt: 120, risk: 0.25 });
    expect(batch.rows[0].features.income.source).toBe('store');
    expect(batch.rows[0].features.income.age_ms).toBeGreaterThanOrEqual(1_000);
    expect(batch.rows[0].features.income.age_ms).toBeLessThan(30_000);
    // c-2's debt is stored as null: its policy serves the default; m-none holds nothing: `missing` serves null.
    expect(batch.rows[1].features.debt).toEqual({ value: 0, source: 'default', age_ms: null });
    expect(batch.rows[5].features.risk).toEqual({ value: null, source: 'missing', age_ms: null });
  });

  it('shares one round trip among the batches of concurrent requests', async () => {
    const before = roundTrips();
    const batches = await Promise.all(['c-1', 'c-2', 'c-1'].map((c) => resolver.fill('credit', 3, BLOCK, [{ customer_id: c, merchant_id: 'm-1' }])));
    expect(roundTrips() - before).toBe(1);
    expect(batches.map((b) => b.rows[0].values.income)).toEqual([5200.5, 3100, 5200.5]);
  });

  it('lets a sent value win and reads nothing for a batch that sends every looked-up feature', async () => {
    const before = roundTrips();
    const batch = await resolver.fill('credit', 3, BLOCK, [{ income: 1, debt: null, risk: 2 }]);
    expect(batch.reads).toBe(0);
    expect(roundTrips()).toBe(before);
    expect(batch.rows[0].features).toEqual({
      income: { value: 1, source: 'sent', age_ms: null },
      debt: { value: null, source: 'sent', age_ms: null },
      risk: { value: 2, source: 'sent', age_ms: null },
    });
    const mixed = await resolver.fill('credit', 3, BLOCK, [{ customer_id: 'c-1', merchant_id: 'm-1', income: 7 }]);
    expect(mixed.rows[0].values).toMatchObject({ income: 7, debt: 120, risk: 0.25 });
  });

  it('treats a value older than the view ttl as stale: 422 FEATURE_MISSING under fail, the default under default', async () => {
    const err = await resolver.fill('credit', 3, BLOCK, [{ customer_id: 'c-1', merchant_id: 'm-1' }, { customer_id: 'c-old', merchant_id: 'm-1' }]).catch((e) => e);
    expect(err.code).toBe('FEATURE_MISSING');
    expect(err.details).toMatchObject({ feature: 'income', entity: 'c-old', reason: 'stale', row: 1, model: 'credit', version: 3 });
    const lenient = onlineFeaturesSchema.parse({ timeout_ms: 5_000, entities: ['customer_id'], features: { income: { ref: 'customer_profile:income', on_missing: 'default', default: -1 } } });
    const batch = await resolver.fill('credit', 3, lenient, [{ customer_id: 'c-old' }, { customer_id: 'nobody' }]);
    expect(batch.rows.map((r) => r.features.income.source)).toEqual(['default', 'default']);
  });

  it('counts every looked-up value per view and outcome, and times the store read', async () => {
    const text = await metrics.render();
    const value = (view: string, outcome: string) => Number(new RegExp(`^modelgate_feature_lookups_total\\{view="${view}",outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    // 8 rows + 1 mixed row of hits on customer_profile (income, and debt where stored), and the stale c-old twice.
    expect(value('customer_profile', 'hit')).toBe(8 + 4 + 5 + 2 + 1);
    expect(value('customer_profile', 'missing')).toBe(4 + 1 + 1);
    expect(value('customer_profile', 'stale')).toBe(2 + 1);
    expect(value('customer_profile', 'sent')).toBe(2 + 1);
    expect(value('merchant_risk', 'hit')).toBe(4 + 3 + 1 + 2);
    expect(value('merchant_risk', 'missing')).toBe(4);
    expect(text).toMatch(new RegExp(`^modelgate_feature_lookup_duration_seconds_count\\{store="${kind}",outcome="ok"\\} 5$`, 'm'));
  });
});

describe.skipIf(!redisBin)('the online store breaker on a real redis-server', () => {
  let db: TestDatabase;
  let connection: DatabaseConnection;
  let redis: TestRedis;
  let store: RedisFeatureStore;
  let metrics: Metrics;
  let resolver: OnlineFeatureResolver;
  const failing = onlineFeaturesSchema.parse({ timeout_ms: 50, entities: ['customer_id'], features: { income: 'customer_profile:income' } });
  const lenient = onlineFeaturesSchema.parse({ timeout_ms: 50, entities: ['customer_id'], features: { income: { ref: 'customer_profile:income', on_missing: 'missing' } } });
  const timed = async <T>(f: () => Promise<T>) => {
    const t0 = performance.now();
    const out = await f().catch((e) => e);
    return { out, ms: performance.now() - t0 };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    connection = await DatabaseConnection.open(
      loadConfig({ DATABASE_URL: db.url, MODELGATE_ADMIN_TOKEN: 'mgk_testadmin_0123456789abcdefghijklmnopqrstuv', MODELGATE_DATA_DIR: '/tmp' }),
      createLogger('silent'),
    );
    const catalog = new FeatureViewCatalog(connection.dataSource);
    await catalog.insert({ name: 'customer_profile', description: '', entities: ['customer_id'], features: { income: 'float' }, ttl_s: 60 }, 'test');
    redis = await startRedis(redisBin!);
    store = new RedisFeatureStore(redis.url, 'breaker:', { commandTimeoutMs: 1_000 });
    await store.ready();
    await store.upsert('customer_profile', [{ entity: 'c-1', values: { income: 1 }, eventTime: Date.now() }]);
    metrics = new Metrics();
    resolver = new OnlineFeatureResolver(catalog, store, new FeatureMetrics(metrics), { failureThreshold: 3, coolDownMs: 300 });
    await catalog.find('customer_profile');
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
    await connection?.close();
    await db?.drop();
  });

  it('answers a late store within the time budget: 503 under fail, the policy under missing', async () => {
    const pauser = new RedisFeatureStore(redis.url, 'pauser:');
    await pauser.ready();
    // CLIENT PAUSE holds every client's commands on the server: the store answers, but late.
    await (pauser as any).redis.call('CLIENT', 'PAUSE', '400', 'ALL');
    const late = await timed(() => resolver.fill('credit', 1, failing, [{ customer_id: 'c-1' }]));
    expect(late.out.code).toBe('FEATURE_STORE_UNAVAILABLE');
    expect(late.out.details).toMatchObject({ feature: 'income', store: 'redis', reason: 'timeout' });
    expect(late.ms).toBeLessThan(250);
    const soft = await timed(() => resolver.fill('credit', 1, lenient, [{ customer_id: 'c-1' }]));
    expect(soft.out.rows[0].features.income).toEqual({ value: null, source: 'missing', age_ms: null });
    expect(soft.ms).toBeLessThan(250);
    await (pauser as any).redis.call('CLIENT', 'UNPAUSE');
    await pauser.close();
    // The third failure in a row opens the breaker; a success before it would have reset the count.
    expect(resolver.breakerState).toBe('closed');
  });

  it('opens when redis-server stops, then fails fast without touching the store, and closes once Redis is back', async () => {
    await redis.stop();
    const first = await timed(() => resolver.fill('credit', 1, lenient, [{ customer_id: 'c-1' }]));
    expect(first.out.rows[0].features.income.source).toBe('missing');
    expect(resolver.breakerState).toBe('open');
    const lookups = store.lookupMany.bind(store);
    let calls = 0;
    store.lookupMany = (r) => (calls++, lookups(r));
    const fast = await timed(() => resolver.fill('credit', 1, failing, [{ customer_id: 'c-1' }]));
    expect(fast.out.code).toBe('FEATURE_STORE_UNAVAILABLE');
    expect(fast.out.details.reason).toBe('circuit_open');
    expect(fast.ms).toBeLessThan(failing.timeout_ms);
    expect(calls).toBe(0);
    expect(await metrics.render()).toMatch(/^modelgate_feature_store_circuit_open\{store="redis"\} 1$/m);

    await redis.restart();
    await store.ready(10_000).catch(() => undefined);
    await store.upsert('customer_profile', [{ entity: 'c-1', values: { income: 2 }, eventTime: Date.now() }]).catch(() => undefined);
    const deadline = Date.now() + 15_000;
    let batch: any;
    for (;;) {
      batch = await resolver.fill('credit', 1, failing, [{ customer_id: 'c-1' }]).catch((e) => e);
      if (!(batch instanceof Error) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
      await store.upsert('customer_profile', [{ entity: 'c-1', values: { income: 2 }, eventTime: Date.now() }]).catch(() => undefined);
    }
    expect(batch.rows?.[0].features.income).toMatchObject({ value: 2, source: 'store' });
    expect(resolver.breakerState).toBe('closed');
    expect(calls).toBeGreaterThan(0);
    expect(await metrics.render()).toMatch(/^modelgate_feature_store_circuit_open\{store="redis"\} 0$/m);
    const text = await metrics.render();
    expect(text).toMatch(/^modelgate_feature_lookups_total\{view="customer_profile",outcome="error"\} [1-9]/m);
    expect(text).toMatch(/^modelgate_feature_lookup_duration_seconds_count\{store="redis",outcome="timeout"\} 2$/m);
  });
});
