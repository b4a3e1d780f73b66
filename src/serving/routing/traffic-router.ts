import { murmur3 } from './murmur3.js';
import type { Route, RoutingPlan, StickySource } from './routing-plan.js';

export { murmur3 } from './murmur3.js';

/**
 * Traffic is split on 10,000 buckets: a hundredth of a percent, finer than
 * any weight the registry accepts, and the same buckets serve random and
 * sticky picks so that both honour a weight identically.
 */
export const BUCKETS = 10_000;

export interface TrafficRouterOptions {
  /** The model name: two models' sticky splits are then independent for the same key. */
  salt: string;
  /** Uniform in [0, 1); injectable so that a test can seed it. */
  random?: () => number;
}

/**
 * Picks a route for each unpinned request, from tables built once per plan.
 *
 * Buckets map to routes by cumulative weight, in route order, so ramping a
 * challenger from 10% to 20% moves keys only from the routes before it to
 * it: every key that already saw the challenger keeps seeing it.
 */
export class TrafficRouter {
  readonly routes: readonly Route[];
  private readonly bounds: Uint16Array;
  private readonly last: number;
  private readonly seed: number;
  private readonly random: () => number;

  constructor(plan: Pick<RoutingPlan, 'routes' | 'cumulativeWeights'>, options: TrafficRouterOptions) {
    const { routes, cumulativeWeights } = plan;
    if (routes.length === 0 || routes.length !== cumulativeWeights.length) {
      throw new RangeError('a traffic router needs one cumulative weight per route, and at least one route');
    }
    const total = cumulativeWeights[cumulativeWeights.length - 1];
    if (!(total > 0)) throw new RangeError('a traffic router needs a route with a positive weight');
    this.routes = routes;
    this.bounds = new Uint16Array(routes.length);
    let last = 0;
    for (let i = 0; i < routes.length; i++) {
      this.bounds[i] = Math.round((cumulativeWeights[i] * BUCKETS) / total);
      if (routes[i].weight > 0) last = i;
    }
    this.last = last;
    this.seed = murmur3(options.salt);
    this.random = options.random ?? Math.random;
  }

  /** With a sticky key, always the same route for that key while the plan holds; without, random by weight. */
  pick(stickyKey?: string): Route {
    const bucket = stickyKey === undefined ? (this.random() * BUCKETS) | 0 : murmur3(stickyKey, this.seed) % BUCKETS;
    return this.routes[this.indexOf(bucket)];
  }

  /** The bucket a sticky key falls in, in [0, BUCKETS): what `pick` maps to a route. */
  bucketOf(stickyKey: string): number {
    return murmur3(stickyKey, this.seed) % BUCKETS;
  }

  private indexOf(bucket: number): number {
    const bounds = this.bounds;
    // A weight-0 route has the same bound as the route before it, so the
    // strict comparison never stops on it.
    for (let i = 0; i < bounds.length; i++) if (bucket < bounds[i]) return i;
    // Unreachable for a bucket below BUCKETS; kept so that a random source
    // returning exactly 1 still lands on a route that has traffic.
    return this.last;
  }
}

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The sticky key of a request, or undefined when the plan has none or the
 * request does not carry it (the router then picks at random).
 *
 * A repeated header counts by its first value: Node joins repeats of most
 * headers with ", ", and a framework may hand them over as an array. A
 * body field counts when it is a string or a finite number. An empty value
 * counts as absent: otherwise every request lacking a real key would be
 * pinned to one variant.
 */
export function stickyKeyFrom(sticky: StickySource | undefined, headers: HeaderBag, body: unknown): string | undefined {
  if (sticky === undefined) return undefined;
  if (sticky.from === 'header') {
    const raw = headers[sticky.name];
    const value = typeof raw === 'string' ? raw : raw !== undefined && raw.length > 0 ? raw[0] : undefined;
    if (value === undefined) return undefined;
    const comma = value.indexOf(',');
    const first = comma < 0 ? value : value.slice(0, comma);
    const key = first.trim();
    return key === '' ? undefined : key;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const v = (body as Record<string, unknown>)[sticky.name];
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}
