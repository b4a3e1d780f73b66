/**
 * Delay before the next delivery attempt: exponential from `baseMs`, capped
 * at `maxMs`, with "equal jitter" (half fixed, half random) so replicas that
 * failed together do not retry together, yet the delay never collapses to 0.
 * `random` is injectable so the spec can pin it.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** True once an undelivered notification is older than the give-up time. */
export function shouldGiveUp(createdAtMs: number, nowMs: number, giveUpMs: number): boolean {
  return nowMs - createdAtMs >= giveUpMs;
}
