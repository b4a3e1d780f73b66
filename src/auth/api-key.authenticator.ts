import type { IncomingHttpHeaders } from 'node:http';
import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import { Forbidden, ServiceUnavailable, Unauthenticated } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { credentialFrom, hashSecret, isWellFormedKey, keyIdOf, secretMatches, secretOf } from './api-key-format.js';
import { ApiKeyStore } from './api-key.store.js';
import { ModelForbidden, type RateBudget, RateLimited } from './auth.errors.js';
import { TokenBuckets } from './token-bucket.js';
import { Metrics } from '../metrics/metrics.js';
import { type CachedKey, KeyCache } from './key-cache.js';
import { type Actor, type Scope, scopeBit } from './scopes.js';

/** The actor of `MODELGATE_ADMIN_TOKEN`, which has no row. */
export const ADMIN_TOKEN_ACTOR: Actor = Object.freeze({ keyId: 'admin-token', name: 'admin-token', scopes: Object.freeze(['admin'] as Scope[]) });

const LAST_USED_EVERY_MS = 60_000;

const malformed = () => new Unauthenticated('malformed API key: expected mgk_<key id>_<secret>');

/**
 * Checks the API key of a request against a scope. The scope guard uses it
 * for Nest controllers; the prediction routes, registered on Fastify
 * directly, call it themselves, thousands of times a second. So a key seen
 * in the last few seconds is checked from memory, synchronously: one sha256
 * and one constant-time compare, no Promise. A miss returns a Promise.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly cache: KeyCache;
  private readonly adminHash?: Buffer;
  private readonly adminLength: number;
  private lastLoadWarning = 0;
  /** `undefined` when that budget is off (its rate is 0). */
  private readonly predictLimit?: TokenBuckets;
  private readonly writeLimit?: TokenBuckets;
  private readonly failureLimit?: TokenBuckets;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly store: ApiKeyStore,
    @InjectLogger() private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    const limits = config.auth.rateLimits;
    const bucket = (o: { perSecond: number; burst: number }) => (o.perSecond > 0 ? new TokenBuckets(o) : undefined);
    this.predictLimit = bucket(limits.predict);
    this.writeLimit = bucket(limits.registryWrite);
    this.failureLimit = bucket(limits.authFailures);
    const token = config.auth.adminToken;
    this.adminHash = token === undefined ? undefined : hashSecret(token);
    this.adminLength = token?.length ?? -1;
    this.cache = new KeyCache({
      ttlMs: config.auth.keyCacheTtlMs,
      load: (id) => this.store.record(id),
      onStale: (id, err) => this.logger.warn({ key_id: id, err: (err as Error).message }, 'cannot reload API key; serving the cached one'),
    });
  }

  /**
   * The caller, if its key is valid and grants `scope`. Throws
   * `Unauthenticated` (401) or `Forbidden` (403) synchronously when the
   * answer is known from memory; otherwise returns a Promise that rejects
   * with them (or `AUTH_UNAVAILABLE`, 503, when the database cannot be
   * asked about a key never seen). `scope` null admits any valid key (the
   * console's `GET /api/v1/keys/self`).
   */
  authenticate(headers: IncomingHttpHeaders, scope: Scope | null, address?: string, model?: string): Actor | Promise<Actor> {
    // An address that failed too often is refused before its key costs a hash or a query.
    if (address !== undefined && this.failureLimit !== undefined) {
      const wait = this.failureLimit.blocked(address, Date.now());
      if (wait) throw this.limited('auth_failures', wait);
    }
    let result: Actor | Promise<Actor>;
    try {
      result = this.check(headers, scope, model);
    } catch (err) {
      throw this.failed(err, address);
    }
    if (result instanceof Promise) {
      return result.then(
        (actor) => this.spend(actor, scope),
        (err: unknown) => {
          throw this.failed(err, address);
        },
      );
    }
    return this.spend(result, scope);
  }

  /** Takes from the key's budget for this scope; predictions and registry writes each have one. */
  private spend(actor: Actor, scope: Scope | null): Actor {
    const limit = scope === 'predict' ? this.predictLimit : scope === 'registry:write' ? this.writeLimit : undefined;
    if (limit !== undefined) {
      const wait = limit.take(actor.keyId, Date.now());
      if (wait) throw this.limited(scope === 'predict' ? 'predict' : 'registry_write', wait);
    }
    return actor;
  }

  /** A failed authentication (401) takes from its address's budget. */
  private failed(err: unknown, address: string | undefined): unknown {
    if (address !== undefined && this.failureLimit !== undefined && err instanceof Unauthenticated) this.failureLimit.take(address, Date.now());
    return err;
  }

  private limited(budget: RateBudget, wait: number): RateLimited {
    this.metrics.rateLimited.labels(budget).inc();
    return new RateLimited(budget, wait);
  }

  private check(headers: IncomingHttpHeaders, scope: Scope | null, model: string | undefined): Actor | Promise<Actor> {
    const credential = credentialFrom(headers);
    if (credential === undefined) throw new Unauthenticated('missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"');
    // The admin token can have any shape, so it is recognised before the key format is checked.
    if (credential.length === this.adminLength && secretMatches(credential, this.adminHash!)) return ADMIN_TOKEN_ACTOR;
    const id = keyIdOf(credential);
    if (id === undefined) throw malformed();
    const now = Date.now();
    const cached = this.cache.peek(id, now);
    if (cached !== undefined) return this.admit(cached, credential, scope, now, model);
    if (!isWellFormedKey(credential)) throw malformed();
    return this.cache.load(id).then(
      (entry) => this.admit(entry, credential, scope, Date.now(), model),
      (err: unknown) => {
        // Once per 10 s: during an outage every unseen key would log a line.
        if (Date.now() - this.lastLoadWarning >= 10_000) {
          this.lastLoadWarning = Date.now();
          this.logger.warn({ key_id: id, err: (err as Error).message }, 'cannot load API key');
        }
        throw new ServiceUnavailable('AUTH_UNAVAILABLE', 'cannot verify the API key now: the key store is unreachable', {}, 1);
      },
    );
  }

  /** Drops a key from this process's cache (it was revoked here or on another replica). */
  evict(keyId: string): void {
    this.cache.evict(keyId);
  }

  /** Drops every cached key: notifications may have been missed. */
  evictAll(): void {
    this.cache.clear();
  }

  private admit(entry: CachedKey | null, credential: string, scope: Scope | null, now: number, model: string | undefined): Actor {
    if (entry === null || !secretMatches(secretOf(credential), entry.hash)) throw new Unauthenticated('invalid API key');
    // Only the holder of the secret learns that a key was revoked or expired.
    if (entry.revoked) throw new Unauthenticated('API key revoked');
    if (now >= entry.expiresAt) throw new Unauthenticated('API key expired');
    if (now - entry.lastTouch >= LAST_USED_EVERY_MS) {
      entry.lastTouch = now;
      this.store.touch(entry.actor.keyId).catch((err: unknown) =>
        this.logger.debug({ key_id: entry.actor.keyId, err: (err as Error).message }, 'last_used_at not recorded'),
      );
    }
    if (scope !== null && (entry.mask & scopeBit(scope)) === 0) throw new Forbidden(scope);
    if (model !== undefined && entry.models !== null && !entry.models.test(model)) throw new ModelForbidden(model);
    return entry.actor;
  }
}
