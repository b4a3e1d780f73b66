import { failure } from '../../test/support/failure.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.schema.js';
import { createLogger } from '../common/logger.js';
import { generateApiKey } from './api-key-format.js';
import { Admission } from './admission.js';
import { ADMIN_TOKEN_ACTOR, ApiKeyAuthenticator } from './api-key.authenticator.js';
import type { ApiKeyStore } from './api-key.store.js';
import type { KeyRecord } from './key-cache.js';
import type { Scope } from './scopes.js';
import { Metrics } from '../metrics/metrics.js';

const ADMIN_TOKEN = 'not-an-mgk-key-but-long-enough-to-be-a-token';
/** The socket address of calls whose address does not matter to the test. */
const PEER = '192.0.2.1';

/** The admission and its authenticator over an in-memory table that counts what it was asked. */
function setup(opts: { ttlMs?: number; adminToken?: string | null; env?: Record<string, string> } = {}) {
  const config = loadConfig({
    MODELGATE_ADMIN_TOKEN: opts.adminToken === null ? undefined : (opts.adminToken ?? ADMIN_TOKEN),
    MODELGATE_KEY_CACHE_TTL_MS: String(opts.ttlMs ?? 5_000),
    ...opts.env,
  });
  const rows = new Map<string, KeyRecord>();
  const calls = { record: 0, touch: [] as string[] };
  const store = {
    record: async (id: string) => {
      calls.record++;
      return rows.get(id) ?? null;
    },
    touch: async (id: string) => {
      calls.touch.push(id);
    },
  } as unknown as ApiKeyStore;
  const metrics = new Metrics();
  const keys = new ApiKeyAuthenticator(config, store, createLogger('silent'));
  const auth = new Admission(config, keys, metrics);
  const add = (scopes: Scope[], over: Partial<KeyRecord> = {}) => {
    const k = generateApiKey();
    rows.set(k.id, {
      id: k.id,
      name: `key ${k.id}`,
      scopes,
      secretSha256: Buffer.from(k.secretSha256, 'hex'),
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      ...over,
    });
    return { ...k, bearer: { authorization: `Bearer ${k.key}` } };
  };
  return { auth, keys, rows, calls, add, metrics };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Admission: keys', () => {
  it('loads an unseen key with a Promise, then answers synchronously from memory', async () => {
    const { auth, add, calls } = setup();
    const k = add(['predict']);
    const first = auth.admit(k.bearer, 'predict', PEER);
    expect(first).toBeInstanceOf(Promise);
    expect((await first).keyId).toBe(k.id);
    const second = auth.admit(k.bearer, 'predict', PEER);
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toEqual({ keyId: k.id, name: `key ${k.id}`, scopes: ['predict'] });
    expect(calls.record).toBe(1);
  });

  it('accepts the admin token as an admin actor without asking the store', async () => {
    const { auth, calls } = setup();
    for (const headers of [{ authorization: `Bearer ${ADMIN_TOKEN}` }, { 'x-api-key': ADMIN_TOKEN }]) {
      expect(auth.admit(headers, 'predict', PEER)).toBe(ADMIN_TOKEN_ACTOR);
      expect(auth.admit(headers, 'admin', PEER)).toBe(ADMIN_TOKEN_ACTOR);
    }
    expect(ADMIN_TOKEN_ACTOR.keyId).toBe('admin-token');
    expect(calls.record).toBe(0);
  });

  it('accepts an admin token that happens to have the shape of a key', async () => {
    const token = generateApiKey().key;
    const { auth, calls } = setup({ adminToken: token });
    expect(auth.admit({ authorization: `Bearer ${token}` }, 'admin', PEER)).toBe(ADMIN_TOKEN_ACTOR);
    expect(calls.record).toBe(0);
  });

  it('refuses a near miss of the admin token', async () => {
    const { auth } = setup();
    const e = await failure(() => auth.admit({ authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` }, 'admin', PEER));
    expect(e.code).toBe('UNAUTHENTICATED');
  });

  it('has no admin token when none is configured', async () => {
    const { auth } = setup({ adminToken: null });
    const e = await failure(() => auth.admit({ authorization: `Bearer ${ADMIN_TOKEN}` }, 'admin', PEER));
    expect(e.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['no credential', {}, 'missing API key'],
    ['another auth scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'malformed API key'],
    ['a malformed key', { 'x-api-key': 'mgk_short_secret' }, 'malformed API key'],
  ])('refuses %s synchronously with UNAUTHENTICATED', (_what, headers, message) => {
    const { auth } = setup();
    let thrown: unknown;
    try {
      auth.admit(headers, 'predict', PEER);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ kind: 'unauthenticated', code: 'UNAUTHENTICATED' });
    expect((thrown as Error).message).toContain(message);
  });

  it('refuses an unknown key id, and remembers it is unknown', async () => {
    const { auth, calls } = setup();
    const key = generateApiKey().key;
    expect((await failure(() => auth.admit({ 'x-api-key': key }, 'predict', PEER))).message).toBe('invalid API key');
    expect((await failure(() => auth.admit({ 'x-api-key': key }, 'predict', PEER))).code).toBe('UNAUTHENTICATED');
    expect(calls.record).toBe(1);
  });

  it('refuses a known key id with the wrong secret', async () => {
    const { auth, add } = setup();
    const k = add(['predict']);
    const forged = `mgk_${k.id}_${'a'.repeat(52)}`;
    await auth.admit(k.bearer, 'predict', PEER);
    const e = await failure(() => auth.admit({ authorization: `Bearer ${forged}` }, 'predict', PEER));
    expect(e).toMatchObject({ code: 'UNAUTHENTICATED', message: 'invalid API key' });
  });

  it('refuses a revoked key and an expired key', async () => {
    const { auth, add } = setup();
    const revoked = add(['predict'], { revokedAt: Date.now() - 1 });
    const expired = add(['predict'], { expiresAt: Date.now() - 1 });
    expect(await failure(() => auth.admit(revoked.bearer, 'predict', PEER))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'API key revoked' });
    expect(await failure(() => auth.admit(expired.bearer, 'predict', PEER))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'API key expired' });
  });

  it('refuses a cached key from the moment it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, add } = setup();
    const k = add(['predict'], { expiresAt: Date.now() + 1_000 });
    await auth.admit(k.bearer, 'predict', PEER);
    vi.setSystemTime(Date.now() + 999);
    expect(auth.admit(k.bearer, 'predict', PEER)).toMatchObject({ keyId: k.id });
    vi.setSystemTime(Date.now() + 1);
    expect(await failure(() => auth.admit(k.bearer, 'predict', PEER))).toMatchObject({ message: 'API key expired' });
  });

  it('answers 403 FORBIDDEN naming the scope the key lacks', async () => {
    const { auth, add } = setup();
    const k = add(['registry:read']);
    const e = await failure(() => auth.admit(k.bearer, 'registry:write', PEER));
    expect(e).toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN', details: { required_scope: 'registry:write' } });
    expect(e.message).toContain('registry:write');
  });

  it('refuses a key evicted after revocation on the next request', async () => {
    const { auth, keys, add, rows } = setup();
    const k = add(['predict']);
    await auth.admit(k.bearer, 'predict', PEER);
    rows.get(k.id)!.revokedAt = Date.now();
    keys.evict(k.id);
    expect(await failure(() => auth.admit(k.bearer, 'predict', PEER))).toMatchObject({ message: 'API key revoked' });
  });

  it('records last use at most once a minute per key, without waiting for the write', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, add, calls } = setup({ ttlMs: 1_000_000 });
    const k = add(['predict']);
    await auth.admit(k.bearer, 'predict', PEER);
    for (let i = 0; i < 100; i++) auth.admit(k.bearer, 'predict', PEER);
    expect(calls.touch).toEqual([k.id]);
    vi.setSystemTime(Date.now() + 59_000);
    auth.admit(k.bearer, 'predict', PEER);
    expect(calls.touch).toHaveLength(1);
    vi.setSystemTime(Date.now() + 1_000);
    auth.admit(k.bearer, 'predict', PEER);
    expect(calls.touch).toEqual([k.id, k.id]);
  });

  it('does not record a use the database already has from the last minute', async () => {
    const { auth, add, calls } = setup();
    const k = add(['predict'], { lastUsedAt: Date.now() - 10_000 });
    await auth.admit(k.bearer, 'predict', PEER);
    expect(calls.touch).toEqual([]);
  });

  it('answers 503 AUTH_UNAVAILABLE for an unseen key when the store is unreachable', async () => {
    const { auth, keys, add } = setup();
    const k = add(['predict']);
    (keys as unknown as { store: { record: () => Promise<never> } }).store.record = () => Promise.reject(new Error('ECONNREFUSED'));
    expect(await failure(() => auth.admit(k.bearer, 'predict', PEER))).toMatchObject({ kind: 'unavailable', code: 'AUTH_UNAVAILABLE' });
  });

  it('costs little per cached call (micro-benchmark; prints, asserts nothing about time)', async () => {
    const { auth, add } = setup();
    const k = add(['predict']);
    // Fresh header objects of flat strings, as Node's HTTP parser gives each request.
    const flat = (s: string) => Buffer.from(s).toString();
    const headers = Array.from({ length: 1024 }, () => ({ authorization: flat(`Bearer ${k.key}`), 'content-type': 'application/json' }));
    const xApiKey = Array.from({ length: 1024 }, () => ({ 'x-api-key': flat(k.key) }));
    await auth.admit(headers[0], 'predict', PEER);
    const measure = (hs: typeof headers | typeof xApiKey, n: number) => {
      let sync = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) if (!(auth.admit(hs[i & 1023], 'predict', PEER) instanceof Promise)) sync++;
      const ns = Number(process.hrtime.bigint() - t0) / n;
      expect(sync).toBe(n);
      return ns;
    };
    // Small enough to finish well inside the cache's freshness on a loaded 2-core CI machine.
    measure(headers, 5_000); // warm the JIT
    const bearer = measure(headers, 30_000);
    const apiKey = measure(xApiKey, 30_000);
    const admin = (() => {
      const h = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 30_000; i++) auth.admit(h, 'predict', PEER);
      return Number(process.hrtime.bigint() - t0) / 30_000;
    })();
    console.log(
      `Admission.admit, cached key: ${bearer.toFixed(0)} ns/call (Bearer), ${apiKey.toFixed(0)} ns/call (X-API-Key); admin token: ${admin.toFixed(0)} ns/call`,
    );
  }, 60_000);
});

const FAILURE_BUDGET_3 = { MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S: '0.001', MODELGATE_RATE_LIMIT_AUTH_FAILURES_BURST: '3' };

describe('rate limits', () => {
  it('refuses predictions past a key budget with 429 RATE_LIMITED and Retry-After, counted by budget', async () => {
    const { auth, add, metrics } = setup({ env: { MODELGATE_RATE_LIMIT_PREDICT_PER_S: '1', MODELGATE_RATE_LIMIT_PREDICT_BURST: '3' } });
    const k = add(['predict']);
    await auth.admit(k.bearer, 'predict', PEER);
    auth.admit(k.bearer, 'predict', PEER);
    auth.admit(k.bearer, 'predict', PEER);
    const err = await failure(() => auth.admit(k.bearer, 'predict', PEER));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.kind).toBe('rate_limited');
    expect(err.headers['retry-after']).toBe('1');
    expect(err.details.budget).toBe('predict');
    // Another key has its own budget.
    const other = add(['predict']);
    await auth.admit(other.bearer, 'predict', PEER);
    expect(await metrics.registry.getSingleMetricAsString('modelgate_rate_limited_total')).toContain('modelgate_rate_limited_total{budget="predict"} 1');
  });

  it('keeps registry writes on their own budget, apart from reads and predictions', async () => {
    const { auth, add } = setup({ env: { MODELGATE_RATE_LIMIT_WRITE_PER_S: '0.001', MODELGATE_RATE_LIMIT_WRITE_BURST: '2' } });
    const k = add(['registry:write', 'registry:read', 'predict']);
    await auth.admit(k.bearer, 'registry:write', PEER);
    auth.admit(k.bearer, 'registry:write', PEER);
    expect((await failure(() => auth.admit(k.bearer, 'registry:write', PEER))).details.budget).toBe('registry_write');
    for (let i = 0; i < 10; i++) auth.admit(k.bearer, 'registry:read', PEER);
    for (let i = 0; i < 10; i++) auth.admit(k.bearer, 'predict', PEER);
  });

  it('answers 429 to the failures of an address past its budget, and only that address', async () => {
    const { auth } = setup({ env: FAILURE_BUDGET_3 });
    const bad = { authorization: `Bearer ${generateApiKey().key}` };
    for (let i = 0; i < 3; i++) expect((await failure(() => auth.admit(bad, 'predict', '10.0.0.1'))).code).toBe('UNAUTHENTICATED');
    const err = await failure(() => auth.admit(bad, 'predict', '10.0.0.1'));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', details: { budget: 'auth_failures' } });
    expect((await failure(() => auth.admit({}, 'predict', '10.0.0.1'))).code).toBe('RATE_LIMITED');
    expect((await failure(() => auth.admit(bad, 'predict', '10.0.0.2'))).code).toBe('UNAUTHENTICATED');
  });

  it('never refuses a key that verifies from memory because its address is past the budget', async () => {
    const { auth, add } = setup({ env: FAILURE_BUDGET_3 });
    const good = add(['predict']);
    await auth.admit(good.bearer, 'predict', '10.0.0.1');
    for (let i = 0; i < 10; i++) await failure(() => auth.admit({ 'x-api-key': generateApiKey().key }, 'predict', '10.0.0.1'));
    expect(auth.admit(good.bearer, 'predict', '10.0.0.1')).toMatchObject({ keyId: good.id });
    expect(auth.admit({ authorization: `Bearer ${ADMIN_TOKEN}` }, 'admin', '10.0.0.1')).toBe(ADMIN_TOKEN_ACTOR);
  });

  it('past the budget, looks up a key it does not hold at most once a minute for that address', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, add, calls } = setup({ env: FAILURE_BUDGET_3 });
    for (let i = 0; i < 3; i++) await failure(() => auth.admit({ 'x-api-key': generateApiKey().key }, 'predict', '10.0.0.1'));
    const queries = calls.record;
    // The first unseen key is looked up, and passes: it is valid.
    const first = add(['predict']);
    expect((await auth.admit(first.bearer, 'predict', '10.0.0.1')).keyId).toBe(first.id);
    expect(calls.record).toBe(queries + 1);
    // Within the minute, neither a guess nor another valid key costs a query.
    const second = add(['predict']);
    expect((await failure(() => auth.admit({ 'x-api-key': generateApiKey().key }, 'predict', '10.0.0.1'))).code).toBe('RATE_LIMITED');
    expect((await failure(() => auth.admit(second.bearer, 'predict', '10.0.0.1'))).code).toBe('RATE_LIMITED');
    expect(calls.record).toBe(queries + 1);
    // Another address is not held back.
    expect((await auth.admit(second.bearer, 'predict', '10.0.0.2')).keyId).toBe(second.id);
    vi.setSystemTime(Date.now() + 60_000);
    const third = add(['predict']);
    expect((await auth.admit(third.bearer, 'predict', '10.0.0.1')).keyId).toBe(third.id);
  });

  it('past the budget, still looks up a key whose secret it held before, once that entry is stale', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, add, calls } = setup({ ttlMs: 1_000, env: FAILURE_BUDGET_3 });
    const good = add(['predict']);
    await auth.admit(good.bearer, 'predict', '10.0.0.1');
    for (let i = 0; i < 4; i++) await failure(() => auth.admit({ 'x-api-key': generateApiKey().key }, 'predict', '10.0.0.1'));
    vi.setSystemTime(Date.now() + 5_000);
    const queries = calls.record;
    expect((await auth.admit(good.bearer, 'predict', '10.0.0.1')).keyId).toBe(good.id);
    expect(calls.record).toBe(queries + 1);
    // A forged secret for that key id is no proof.
    vi.setSystemTime(Date.now() + 5_000);
    expect((await failure(() => auth.admit({ authorization: `Bearer mgk_${good.id}_${'a'.repeat(52)}` }, 'predict', '10.0.0.1'))).code).toBe('RATE_LIMITED');
  });

  it('counts failures against the forwarded address only when the socket is a trusted proxy', async () => {
    const { auth } = setup({ env: { ...FAILURE_BUDGET_3, MODELGATE_TRUSTED_PROXIES: '10.9.0.0/16, 192.0.2.50' } });
    const bad = { authorization: `Bearer ${generateApiKey().key}` };
    // Untrusted peer: a new X-Forwarded-For each time changes nothing.
    const spoofed = [];
    for (let i = 0; i < 5; i++) spoofed.push((await failure(() => auth.admit({ ...bad, 'x-forwarded-for': `203.0.113.${i}` }, 'predict', '198.51.100.1'))).code);
    expect(spoofed).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED', 'RATE_LIMITED']);
    // Trusted peer: the client it forwarded for is counted, not the proxy.
    for (let i = 0; i < 3; i++) await failure(() => auth.admit({ ...bad, 'x-forwarded-for': '203.0.113.7' }, 'predict', '::ffff:10.9.1.1'));
    expect((await failure(() => auth.admit({ ...bad, 'x-forwarded-for': '203.0.113.7' }, 'predict', '10.9.1.2'))).code).toBe('RATE_LIMITED');
    expect((await failure(() => auth.admit({ ...bad, 'x-forwarded-for': '203.0.113.8' }, 'predict', '10.9.1.1'))).code).toBe('UNAUTHENTICATED');
    // A client cannot pick its entry: the right-most one that is not a proxy is its own.
    expect((await failure(() => auth.admit({ ...bad, 'x-forwarded-for': '203.0.113.8, 203.0.113.7, 192.0.2.50' }, 'predict', '10.9.1.1'))).code).toBe('RATE_LIMITED');
    expect(auth.addressOf({ 'x-forwarded-for': '1.2.3.4' }, '198.51.100.1')).toBe('198.51.100.1');
  });

  it('does not count a valid key lacking a scope (403) as a failed authentication', async () => {
    const { auth, add } = setup({ env: { MODELGATE_RATE_LIMIT_AUTH_FAILURES_BURST: '1', MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S: '0.001' } });
    const k = add(['predict']);
    await auth.admit(k.bearer, 'predict', '10.0.0.3');
    for (let i = 0; i < 5; i++) expect((await failure(() => auth.admit(k.bearer, 'admin', '10.0.0.3'))).code).toBe('FORBIDDEN');
  });
});

describe('keys scoped to models', () => {
  it('lets a key name only the models its patterns match, with 403 FORBIDDEN naming the model otherwise', async () => {
    const { auth, add } = setup();
    const k = add(['predict'], { models: ['credit-*', 'fraud'] });
    await auth.admit(k.bearer, 'predict', PEER, 'credit-eu');
    auth.admit(k.bearer, 'predict', PEER, 'fraud');
    const err = await failure(() => auth.admit(k.bearer, 'predict', PEER, 'fraud-v2'));
    expect(err.kind).toBe('forbidden');
    expect(err.code).toBe('FORBIDDEN');
    expect(err.details.model).toBe('fraud-v2');
    expect((await failure(() => auth.admit(k.bearer, 'predict', PEER, 'credit'))).details.model).toBe('credit');
    // A route that names no model is governed by the scope alone.
    auth.admit(k.bearer, 'predict', PEER);
  });

  it('treats a dot in a pattern as a dot, not any character', async () => {
    const { auth, add } = setup();
    const k = add(['predict'], { models: ['a.b'] });
    await auth.admit(k.bearer, 'predict', PEER, 'a.b');
    expect((await failure(() => auth.admit(k.bearer, 'predict', PEER, 'axb'))).code).toBe('FORBIDDEN');
  });
});
