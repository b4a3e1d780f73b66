import { failure } from '../../test/support/failure.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.schema.js';
import { createLogger } from '../common/logger.js';
import { generateApiKey, hashSecret } from './api-key-format.js';
import { Admission } from './admission.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import type { ApiKeyStore } from './api-key.store.js';
import { CachedKey, type KeyRecord } from './key-cache.js';
import { Metrics } from '../metrics/metrics.js';
import { VerifiedCredentials } from './verified-credentials.js';

const PEER = '192.0.2.1';
const TTL_MS = 5_000;

/** The admission over an in-memory key table, as admission.spec.ts builds it. */
function setup() {
  const config = loadConfig({ MODELGATE_KEY_CACHE_TTL_MS: String(TTL_MS) });
  const rows = new Map<string, KeyRecord>();
  const store = { record: async (id: string) => rows.get(id) ?? null, touch: async () => {} } as unknown as ApiKeyStore;
  const keys = new ApiKeyAuthenticator(config, store, createLogger('silent'));
  const auth = new Admission(config, keys, new Metrics());
  const k = generateApiKey();
  rows.set(k.id, { id: k.id, name: 'k', scopes: ['predict'], secretSha256: Buffer.from(k.secretSha256, 'hex'), expiresAt: null, revokedAt: null, lastUsedAt: null });
  return { auth, keys, rows, k, bearer: { authorization: `Bearer ${k.key}` } };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a credential verified before', () => {
  it('still refuses another secret for the same key id after the right one was accepted many times', async () => {
    const { auth, k, bearer } = setup();
    await auth.admit(bearer, 'predict', PEER);
    for (let i = 0; i < 10; i++) auth.admit(bearer, 'predict', PEER);
    // The last character changed to another one (a fixed 'a' is the real secret whenever the key ends in 'a').
    const other = k.key.endsWith('a') ? 'b' : 'a';
    for (const secret of ['a'.repeat(52), `${k.key.slice(-52, -1)}${other}`, `${k.key.slice(-52)}a`]) {
      const e = await failure(() => auth.admit({ authorization: `Bearer mgk_${k.id}_${secret}` }, 'predict', PEER));
      expect(e).toMatchObject({ code: 'UNAUTHENTICATED', message: 'invalid API key' });
    }
    expect(auth.admit({ 'x-api-key': k.key }, 'predict', PEER)).toMatchObject({ keyId: k.id });
  });

  it('refuses a key revoked without a notification once its entry is past the TTL, and not before, as without the map', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth, rows, k, bearer } = setup();
    const start = Date.now();
    await auth.admit(bearer, 'predict', PEER);
    rows.get(k.id)!.revokedAt = start;
    vi.setSystemTime(start + TTL_MS * 0.8 - 1);
    expect(auth.admit(bearer, 'predict', PEER)).toMatchObject({ keyId: k.id });
    vi.setSystemTime(start + TTL_MS);
    expect(await failure(() => auth.admit(bearer, 'predict', PEER))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'API key revoked' });
    expect(await failure(() => auth.admit(bearer, 'predict', PEER))).toMatchObject({ message: 'API key revoked' });
  });

  it('refuses a key evicted after revocation on the next request', async () => {
    const { auth, keys, rows, k, bearer } = setup();
    await auth.admit(bearer, 'predict', PEER);
    auth.admit(bearer, 'predict', PEER);
    rows.get(k.id)!.revokedAt = Date.now();
    keys.evict(k.id);
    expect(await failure(() => auth.admit(bearer, 'predict', PEER))).toMatchObject({ message: 'API key revoked' });
  });

  it('is checked again against a reloaded row: a secret the row no longer holds is refused', async () => {
    const { auth, keys, rows, k, bearer } = setup();
    await auth.admit(bearer, 'predict', PEER);
    auth.admit(bearer, 'predict', PEER);
    rows.get(k.id)!.secretSha256 = hashSecret('b'.repeat(52));
    keys.evict(k.id);
    expect(await failure(() => auth.admit(bearer, 'predict', PEER))).toMatchObject({ message: 'invalid API key' });
    expect(await failure(() => auth.admit(bearer, 'predict', PEER))).toMatchObject({ message: 'invalid API key' });
    expect(await auth.admit({ authorization: `Bearer mgk_${k.id}_${'b'.repeat(52)}` }, 'predict', PEER)).toMatchObject({ keyId: k.id });
  });
});

describe('VerifiedCredentials', () => {
  const entry = () => new CachedKey({ id: 'id', name: 'n', scopes: ['predict'], secretSha256: Buffer.alloc(32), expiresAt: null, revokedAt: null, lastUsedAt: null }, 0, 0);

  it('knows a credential only with the very entry it matched', () => {
    const v = new VerifiedCredentials();
    const first = entry();
    v.remember('c', first);
    expect(v.has('c', first)).toBe(true);
    expect(v.has('c', entry())).toBe(false);
    expect(v.has('d', first)).toBe(false);
  });

  it('stays within its bound', () => {
    const v = new VerifiedCredentials(3);
    const e = entry();
    for (let i = 0; i < 10; i++) v.remember(`c${i}`, e);
    expect(v.size).toBeLessThanOrEqual(3);
    expect(v.has('c9', e)).toBe(true);
    v.remember('c9', e);
    expect(v.has('c9', e)).toBe(true);
  });
});
