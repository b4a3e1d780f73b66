import { describe, expect, it } from 'vitest';
import { CachedKey, KeyCache, type KeyRecord } from './key-cache.js';
import { scopeBit } from './scopes.js';

function record(id: string, over: Partial<KeyRecord> = {}): KeyRecord {
  return { id, name: `key ${id}`, scopes: ['predict'], secretSha256: Buffer.alloc(32, 1), expiresAt: null, revokedAt: null, lastUsedAt: null, ...over };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A cache over a fake table whose loads the test completes by hand. */
function harness(ttlMs = 1_000) {
  let clock = 1_000_000;
  const pending: { id: string; d: Deferred<KeyRecord | null> }[] = [];
  const stale: string[] = [];
  const cache = new KeyCache({
    ttlMs,
    now: () => clock,
    load: (id) => {
      const d = deferred<KeyRecord | null>();
      pending.push({ id, d });
      return d.promise;
    },
    onStale: (id) => stale.push(id),
    maxUnknown: 3,
  });
  return {
    cache,
    pending,
    stale,
    get now() {
      return clock;
    },
    advance(ms: number) {
      clock += ms;
    },
    async answer(rec: KeyRecord | null) {
      const p = pending.shift();
      if (!p) throw new Error('no load pending');
      p.d.resolve(rec);
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
    },
    async fail(err = new Error('database down')) {
      const p = pending.shift();
      if (!p) throw new Error('no load pending');
      p.d.reject(err);
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('key cache', () => {
  it('asks the database once however many requests miss the same key at the same time', async () => {
    const h = harness();
    const a = h.cache.load('k1');
    const b = h.cache.load('k1');
    expect(h.pending).toHaveLength(1);
    await h.answer(record('k1'));
    expect(await a).toBe(await b);
  });

  it('answers from memory until the TTL has passed, then misses', async () => {
    const h = harness(1_000);
    const loaded = h.cache.load('k1');
    await h.answer(record('k1'));
    const entry = await loaded;
    expect(h.cache.peek('k1', h.now + 500)).toBe(entry);
    expect(h.cache.peek('k1', h.now + 1_000)).toBeUndefined();
  });

  it('reloads a busy key in the background before its TTL ends, so it never misses', async () => {
    const h = harness(1_000);
    const first = h.cache.load('k1');
    await h.answer(record('k1'));
    const old = await first;
    h.advance(850);
    expect(h.cache.peek('k1', h.now)).toBe(old);
    expect(h.pending).toHaveLength(1);
    expect(h.cache.peek('k1', h.now)).toBe(old);
    expect(h.pending).toHaveLength(1);
    await h.answer(record('k1', { name: 'renamed' }));
    const fresh = h.cache.peek('k1', h.now + 900);
    expect(fresh).toBeInstanceOf(CachedKey);
    expect(fresh).not.toBe(old);
    expect((fresh as CachedKey).actor.name).toBe('renamed');
  });

  it('remembers for the TTL that a key id does not exist', async () => {
    const h = harness(1_000);
    const loaded = h.cache.load('nope');
    await h.answer(null);
    expect(await loaded).toBeNull();
    expect(h.cache.peek('nope', h.now + 10)).toBeNull();
    expect(h.cache.peek('nope', h.now + 1_000)).toBeUndefined();
  });

  it('bounds how many unknown ids it remembers', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c', 'd']) {
      const p = h.cache.load(id);
      await h.answer(null);
      await p;
    }
    expect(h.cache.peek('d', h.now)).toBeNull();
    expect(h.cache.peek('a', h.now)).toBeUndefined();
  });

  it('does not put back a key that was evicted while it was being loaded', async () => {
    const h = harness();
    const racing = h.cache.load('k1');
    h.cache.evict('k1');
    await h.answer(record('k1'));
    // The request that was already waiting gets its answer; nothing is cached from it.
    expect(await racing).toBeInstanceOf(CachedKey);
    expect(h.cache.peek('k1', h.now)).toBeUndefined();
  });

  it('starts a new load after an eviction instead of joining the one in flight', async () => {
    const h = harness();
    void h.cache.load('k1');
    h.cache.evict('k1');
    const after = h.cache.load('k1');
    expect(h.pending).toHaveLength(2);
    await h.answer(record('k1'));
    await h.answer(record('k1', { revokedAt: h.now }));
    expect((await after)?.revoked).toBe(true);
    expect(h.cache.peek('k1', h.now)?.revoked).toBe(true);
  });

  it('forgets every key on clear', async () => {
    const h = harness();
    const p = h.cache.load('k1');
    await h.answer(record('k1'));
    await p;
    h.cache.clear();
    expect(h.cache.peek('k1', h.now)).toBeUndefined();
    expect(h.cache.size).toBe(0);
  });

  it('keeps serving a key it knows while the database is unreachable', async () => {
    const h = harness(1_000);
    const p = h.cache.load('k1');
    await h.answer(record('k1'));
    const entry = await p;
    h.advance(1_500);
    const reload = h.cache.load('k1');
    await h.fail();
    expect(await reload).toBe(entry);
    expect(h.stale).toEqual(['k1']);
    // Answered synchronously from now on, with one reload at a time in the background.
    h.advance(5_000);
    expect(h.cache.peek('k1', h.now)).toBe(entry);
    expect(h.pending).toHaveLength(1);
    await h.answer(record('k1', { revokedAt: h.now }));
    expect(h.cache.peek('k1', h.now)?.revoked).toBe(true);
  });

  it('retries a stale key at most once a second while the database is unreachable, however busy the key', async () => {
    const h = harness(1_000);
    const p = h.cache.load('k1');
    await h.answer(record('k1'));
    const entry = await p;
    h.advance(1_500);
    void h.cache.load('k1');
    await h.fail();
    for (let i = 0; i < 100; i++) {
      h.advance(5);
      expect(h.cache.peek('k1', h.now)).toBe(entry);
    }
    // 500 ms of requests: no reload yet; the next second brings one.
    expect(h.pending).toHaveLength(0);
    h.advance(600);
    expect(h.cache.peek('k1', h.now)).toBe(entry);
    expect(h.pending).toHaveLength(1);
    await h.fail();
    expect(h.stale).toEqual(['k1', 'k1']);
  });

  it('fails the load of a key it never saw when the database is unreachable', async () => {
    const h = harness();
    const p = h.cache.load('k1');
    await h.fail(new Error('connection refused'));
    await expect(p).rejects.toThrow('connection refused');
    expect(h.cache.peek('k1', h.now)).toBeUndefined();
  });

  it('keeps the time of the last last_used_at write across reloads', async () => {
    const h = harness(1_000);
    const p = h.cache.load('k1');
    await h.answer(record('k1'));
    const entry = (await p)!;
    entry.lastTouch = h.now;
    h.advance(2_000);
    const q = h.cache.load('k1');
    await h.answer(record('k1', { lastUsedAt: h.now - 60_000 }));
    expect((await q)!.lastTouch).toBe(entry.lastTouch);
  });

  it('precomputes the actor, the scope mask and the expiry of an entry', () => {
    const e = new CachedKey(record('k1', { scopes: ['registry:write'], expiresAt: 5 }), 0, 0);
    expect(e.actor).toEqual({ keyId: 'k1', name: 'key k1', scopes: ['registry:write'] });
    expect(Object.isFrozen(e.actor)).toBe(true);
    expect(e.mask & scopeBit('registry:read')).not.toBe(0);
    expect(e.expiresAt).toBe(5);
    expect(new CachedKey(record('k2'), 0, 0).expiresAt).toBe(Number.POSITIVE_INFINITY);
  });
});
