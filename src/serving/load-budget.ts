/**
 * Which loaded versions may be evicted, and whether an on-demand load may
 * start: pure rules, so they are tested without onnxruntime.
 *
 * Routed versions (and those a serving revision is loading) are outside the
 * budget: they always stay. Unrouted versions may fill what the routed ones
 * leave of the bound, with at least one slot left so pinned calls keep
 * working; a version loaded on demand is not evicted before its residency
 * ends, which is what stops a caller from making the service load, evict
 * and reload in a loop.
 */
export interface Resident {
  readonly key: string;
  readonly lastUsed: number;
  /** Epoch ms before which it may not be evicted. */
  readonly residentUntil: number;
}

export function unroutedCapacity(maxLoaded: number, routedLoaded: number): number {
  return Math.max(1, maxLoaded - routedLoaded);
}

/** Unrouted versions to unload now, least recently used first, keeping those inside their residency. */
export function evictionVictims(maxLoaded: number, routedLoaded: number, unrouted: readonly Resident[], now: number): string[] {
  let over = unrouted.length - unroutedCapacity(maxLoaded, routedLoaded);
  if (over <= 0) return [];
  const out: string[] = [];
  for (const v of [...unrouted].filter((u) => u.residentUntil <= now).sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (over-- <= 0) break;
    out.push(v.key);
  }
  return out;
}

/**
 * 0 when an on-demand load may start now (a free unrouted slot, or one
 * whose residency ended); else the milliseconds until one may be freed.
 * `inFlight` counts unrouted loads already under way.
 */
export function waitForRoom(maxLoaded: number, routedLoaded: number, unrouted: readonly Resident[], inFlight: number, now: number, minResidencyMs: number): number {
  if (unrouted.length + inFlight < unroutedCapacity(maxLoaded, routedLoaded)) return 0;
  if (unrouted.some((v) => v.residentUntil <= now)) return 0;
  return unrouted.length ? Math.min(...unrouted.map((v) => v.residentUntil - now)) : minResidencyMs;
}
