import { type Actor, grantedMask, type Scope } from './scopes.js';

/** A key as the database holds it; times in epoch milliseconds. */
export interface KeyRecord {
  id: string;
  name: string;
  scopes: readonly Scope[];
  /** Model name patterns (`credit-*`) the key may name; null: every model. */
  models?: readonly string[] | null;
  secretSha256: Buffer;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** What the hot path needs of a key, precomputed once per load. */
export class CachedKey {
  readonly actor: Actor;
  /** Scopes this key passes, see `grantedMask`. */
  readonly mask: number;
  readonly hash: Buffer;
  /** The key's model patterns as one expression; null when the key may name any model. */
  readonly models: RegExp | null;
  readonly expiresAt: number;
  readonly revoked: boolean;
  /** When the last `last_used_at` write was sent (ms), to send at most one a minute. */
  lastTouch: number;
  /** The last reload failed (database unreachable): serve this entry until one succeeds. */
  degraded = false;

  constructor(
    record: KeyRecord,
    /** Served without a reload until then. */
    public freshUntil: number,
    /** A background reload starts after this, so a busy key never misses. */
    public refreshAfter: number,
  ) {
    this.actor = Object.freeze({ keyId: record.id, name: record.name, scopes: Object.freeze([...record.scopes]) });
    this.mask = grantedMask(record.scopes);
    this.hash = record.secretSha256;
    this.models = record.models?.length ? modelPattern(record.models) : null;
    this.expiresAt = record.expiresAt ?? Number.POSITIVE_INFINITY;
    this.revoked = record.revokedAt !== null;
    this.lastTouch = record.lastUsedAt ?? Number.NEGATIVE_INFINITY;
  }
}

export interface KeyCacheOptions {
  /** How long an entry is trusted without asking the database: bounds staleness when a NOTIFY is lost. */
  ttlMs: number;
  load(id: string): Promise<KeyRecord | null>;
  /** Called when a reload fails and a stale entry keeps serving. */
  onStale?(id: string, err: unknown): void;
  /** How long a stale entry waits after a failed reload before the next one (default 1 s). */
  staleRetryMs?: number;
  /** Ids known not to exist are remembered too, up to this many, so guessing ids costs no query each. */
  maxUnknown?: number;
  now?: () => number;
}

/**
 * Keys by key id. `peek` answers synchronously from memory; `load` asks the
 * database once per id however many requests wait for it. An eviction
 * (revocation) bumps an epoch so a load that started before it cannot put
 * the old row back.
 */
export class KeyCache {
  private readonly known = new Map<string, CachedKey>();
  /** id -> time until which "no such key" is trusted */
  private readonly unknown = new Map<string, number>();
  private readonly loading = new Map<string, Promise<CachedKey | null>>();
  private epoch = 0;
  private readonly ttlMs: number;
  private readonly refreshMs: number;
  private readonly maxUnknown: number;
  private readonly now: () => number;

  constructor(private readonly options: KeyCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.refreshMs = Math.floor(options.ttlMs * 0.8);
    this.maxUnknown = options.maxUnknown ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The cached entry, `null` for an id known not to exist, or `undefined`
   * when the caller must `load`. Allocates nothing on a hit.
   */
  peek(id: string, now: number): CachedKey | null | undefined {
    const e = this.known.get(id);
    if (e !== undefined) {
      if (now < e.freshUntil) {
        if (now >= e.refreshAfter && !this.loading.has(id)) void this.fetch(id);
        return e;
      }
      if (e.degraded) {
        // During an outage a busy key would otherwise send a query (and fail it) per request.
        if (now >= e.refreshAfter && !this.loading.has(id)) void this.fetch(id);
        return e;
      }
      return undefined;
    }
    const until = this.unknown.get(id);
    if (until !== undefined && now < until) return null;
    return undefined;
  }

  /** The entry held for `id`, fresh or not (never a reason to skip a reload). */
  held(id: string): CachedKey | undefined {
    return this.known.get(id);
  }

  /** Reads the key from the database (one query per id at a time); a stale entry answers if that fails. */
  load(id: string): Promise<CachedKey | null> {
    return this.loading.get(id) ?? this.fetch(id);
  }

  evict(id: string): void {
    this.epoch++;
    this.known.delete(id);
    this.unknown.delete(id);
    this.loading.delete(id);
  }

  /** Forget everything: after the LISTEN connection was lost, any eviction may have been missed. */
  clear(): void {
    this.epoch++;
    this.known.clear();
    this.unknown.clear();
    this.loading.clear();
  }

  get size(): number {
    return this.known.size;
  }

  private fetch(id: string): Promise<CachedKey | null> {
    const epoch = this.epoch;
    const p = this.options.load(id).then(
      (record) => this.store(id, record, epoch),
      (err: unknown) => {
        const stale = this.known.get(id);
        if (!stale) throw err;
        // Serving must outlive a database outage; revoking needs the database too.
        stale.degraded = true;
        stale.refreshAfter = this.now() + (this.options.staleRetryMs ?? 1_000);
        this.options.onStale?.(id, err);
        return stale;
      },
    );
    const tracked = p.finally(() => {
      if (this.loading.get(id) === tracked) this.loading.delete(id);
    });
    this.loading.set(id, tracked);
    // A background refresh nobody awaits must not surface as an unhandled rejection.
    tracked.catch(() => {});
    return tracked;
  }

  private store(id: string, record: KeyRecord | null, epoch: number): CachedKey | null {
    const now = this.now();
    const previous = this.known.get(id);
    if (record === null) {
      if (epoch === this.epoch) {
        this.known.delete(id);
        if (this.unknown.size >= this.maxUnknown) this.unknown.clear();
        this.unknown.set(id, now + this.ttlMs);
      }
      return null;
    }
    const entry = new CachedKey(record, now + this.ttlMs, now + this.refreshMs);
    if (previous && previous.lastTouch > entry.lastTouch) entry.lastTouch = previous.lastTouch;
    if (epoch === this.epoch) {
      this.known.set(id, entry);
      this.unknown.delete(id);
    }
    return entry;
  }
}

/** `credit-*` -> /^(?:credit-.*)$/; names hold only [a-z0-9._-], so `.` is the one character to escape. */
export function modelPattern(globs: readonly string[]): RegExp {
  return new RegExp(`^(?:${globs.map((g) => g.replace(/\./g, '\\.').replace(/\*/g, '.*')).join('|')})$`);
}
