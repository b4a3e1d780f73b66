import type { AppConfig, RateLimitsConfig } from '../config/config.schema.js';

type Budget = RateLimitsConfig['predict'];

/** 1/N of a budget: each of N workers sees only the callers the cluster hands it, so together they enforce the whole. */
function share(b: Budget, workers: number): Budget {
  return { perSecond: b.perSecond / workers, burst: Math.max(1, Math.ceil(b.burst / workers)) };
}

/**
 * The configuration one of N serving workers runs with: the same as the
 * primary's but for the per-key and per-address rate budgets, of which each
 * worker enforces its share (PRODUCT: "each worker enforces 1/N").
 */
export function workerConfig(config: AppConfig): AppConfig {
  const n = config.workers;
  if (n <= 1) return config;
  const r = config.auth.rateLimits;
  return {
    ...config,
    auth: {
      ...config.auth,
      rateLimits: { predict: share(r.predict, n), registryWrite: share(r.registryWrite, n), authFailures: share(r.authFailures, n) },
    },
  };
}
