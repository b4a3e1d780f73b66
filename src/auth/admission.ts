import type { IncomingHttpHeaders } from 'node:http';
import { Injectable } from '@nestjs/common';
import { clientAddress, TrustedProxies } from '../common/client-address.js';
import { Unauthenticated } from '../common/errors.js';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { Metrics } from '../metrics/metrics.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { type RateBudget, RateLimited } from './auth.errors.js';
import type { Actor, Scope } from './scopes.js';
import { TokenBuckets } from './token-bucket.js';

/** Past the failed-authentication budget, an address may cost one key look-up a minute. */
const LOOKUPS_PAST_BUDGET = { perSecond: 1 / 60, burst: 1 };

/**
 * The one admission of every call on every edge: Nest controllers (the
 * scope guard), the routes registered on Fastify directly (the route
 * table: `/v1` predict, V2, feedback) and gRPC. In order: the key (the
 * `authorization: Bearer` or `x-api-key` header or metadata), its scope,
 * its `models` patterns against the model the call names, the key's
 * budgets, and the failed-authentication budget of the client address.
 *
 * That last budget protects key look-ups, not valid keys: a key that
 * verifies from memory always passes, and past the budget a key this
 * process has not held is looked up at most once a minute per address
 * (other failures answer 429). Addresses come from the socket, or from
 * `X-Forwarded-For` only when the socket is a trusted proxy
 * (`MODELGATE_TRUSTED_PROXIES`); they are worked out only when a call
 * fails or must be looked up, so a valid key costs nothing for them.
 */
@Injectable()
export class Admission {
  readonly trustedProxies: TrustedProxies;
  /** `undefined` when that budget is off (its rate is 0). */
  private readonly predictLimit?: TokenBuckets;
  private readonly writeLimit?: TokenBuckets;
  private readonly failureLimit?: TokenBuckets;
  private readonly lookUpsPastBudget = new TokenBuckets(LOOKUPS_PAST_BUDGET);

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly keys: ApiKeyAuthenticator,
    private readonly metrics: Metrics,
  ) {
    const limits = config.auth.rateLimits;
    const bucket = (o: { perSecond: number; burst: number }) => (o.perSecond > 0 ? new TokenBuckets(o) : undefined);
    this.predictLimit = bucket(limits.predict);
    this.writeLimit = bucket(limits.registryWrite);
    this.failureLimit = bucket(limits.authFailures);
    this.trustedProxies = new TrustedProxies(config.auth.trustedProxies);
  }

  /**
   * The caller, if the call may proceed. `peer` is the socket's remote
   * address; `model` the model the call names (undefined when it names
   * none). Synchronous when the key is in memory; a Promise when it must be
   * looked up. Throws (or rejects with) 401, 403, 429 or `AUTH_UNAVAILABLE`.
   */
  admit(headers: IncomingHttpHeaders, scope: Scope | null, peer: string | undefined, model?: string): Actor | Promise<Actor> {
    let actor: Actor | undefined;
    try {
      actor = this.keys.verifyCached(headers, scope, model);
    } catch (err) {
      throw this.failed(err, headers, peer);
    }
    if (actor !== undefined) return this.spend(actor, scope);
    this.mayLookUp(headers, peer);
    return this.keys.verifyLoaded(headers, scope, model).then(
      (a) => this.spend(a, scope),
      (err: unknown) => {
        throw this.failed(err, headers, peer);
      },
    );
  }

  /** The address a call's failures count against (see `clientAddress`). */
  addressOf(headers: IncomingHttpHeaders, peer: string | undefined): string | undefined {
    return clientAddress(peer, headers['x-forwarded-for'], this.trustedProxies);
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

  /** Past its failure budget, an address's look-ups are rationed, unless the caller proved this key's secret before. */
  private mayLookUp(headers: IncomingHttpHeaders, peer: string | undefined): void {
    if (this.failureLimit === undefined) return;
    const address = this.addressOf(headers, peer);
    if (address === undefined) return;
    const now = Date.now();
    const blocked = this.failureLimit.blocked(address, now);
    if (blocked === 0 || this.keys.knowsSecret(headers)) return;
    if (this.lookUpsPastBudget.take(address, now) > 0) throw this.limited('auth_failures', blocked);
  }

  /** A failed authentication (401) takes from its address's budget; past it, the failure answers 429. */
  private failed(err: unknown, headers: IncomingHttpHeaders, peer: string | undefined): unknown {
    if (this.failureLimit === undefined || !(err instanceof Unauthenticated)) return err;
    const address = this.addressOf(headers, peer);
    if (address === undefined) return err;
    const wait = this.failureLimit.take(address, Date.now());
    return wait ? this.limited('auth_failures', wait) : err;
  }

  private limited(budget: RateBudget, wait: number): RateLimited {
    this.metrics.rateLimited.labels(budget).inc();
    return new RateLimited(budget, wait);
  }
}
