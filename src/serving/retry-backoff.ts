/**
 * Delay before the `attempt`-th retry (1 for the first): doubles from
 * `firstMs` and stops growing at `maxMs`, so a dependency that is down is
 * asked less and less often, yet never less often than once per `maxMs`.
 */
export function retryDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^30 already passes any sensible cap; the bound keeps the power finite.
  return Math.min(maxMs, firstMs * 2 ** Math.min(n - 1, 30));
}
