import { PRODUCTION_ALIAS, type ServingState, type TrafficPolicy, type TrafficRoute } from '../../registry/serving-state.js';

/** One weighted destination of a model's traffic, resolved to a concrete version. */
export interface Route {
  /** Answered as `variant`: the route's `name`, else `v<version>`, else the alias name. */
  readonly variant: string;
  readonly version: number;
  /** Percentage of unpinned traffic; 0 keeps the route listed (and loaded) but never picked. */
  readonly weight: number;
  /** The alias the route follows, when it was given by alias. */
  readonly alias?: string;
}

/** Where a sticky key is read: a request header (lower-cased name) or a top-level body field. */
export interface StickySource {
  readonly from: 'header' | 'field';
  readonly name: string;
}

/**
 * What serving executes for a model's unpinned traffic, resolved once per
 * serving-state revision so that the hot path only reads plain data.
 */
export interface RoutingPlan {
  readonly ok: true;
  /** `production_alias` when the model has no traffic policy. */
  readonly source: 'traffic_policy' | 'production_alias';
  readonly routes: readonly Route[];
  /** `cumulativeWeights[i]` is the sum of the weights of routes 0..i; the last is the total (100). */
  readonly cumulativeWeights: readonly number[];
  readonly sticky?: StickySource;
  /** Distinct versions that get a copy of live traffic. */
  readonly shadow: readonly number[];
  /** Share of requests copied to the shadow versions (policy `shadow_sample`, default 1). */
  readonly shadowSample: number;
  readonly fallback?: number;
  readonly timeoutMs?: number;
}

export type RoutingPlanErrorCode = 'not_servable' | 'unknown_alias' | 'invalid_policy';

/** Why a model cannot serve unpinned traffic; `message` reads after "model "x" is not serving: ". */
export interface RoutingPlanError {
  readonly ok: false;
  readonly code: RoutingPlanErrorCode;
  readonly message: string;
}

export const TOTAL_WEIGHT = 100;
// Weights are percentages that may carry decimals; sums are compared with a
// tolerance so that 33.3 + 33.3 + 33.4 is accepted.
const WEIGHT_TOLERANCE = 1e-9;

export function resolveRoutingPlan(state: ServingState): RoutingPlan | RoutingPlanError {
  const policy = state.traffic;
  if (policy != null) return fromPolicy(policy, state.aliases);
  const production = state.aliases[PRODUCTION_ALIAS];
  if (production == null) {
    return failure('not_servable', `it has no traffic policy and no "${PRODUCTION_ALIAS}" alias`);
  }
  if (!isVersion(production)) {
    return failure('invalid_policy', `the "${PRODUCTION_ALIAS}" alias points to ${JSON.stringify(production)}, not a version`);
  }
  const route: Route = Object.freeze({ variant: `v${production}`, version: production, weight: TOTAL_WEIGHT, alias: PRODUCTION_ALIAS });
  return Object.freeze({
    ok: true,
    source: 'production_alias',
    routes: Object.freeze([route]),
    cumulativeWeights: Object.freeze([TOTAL_WEIGHT]),
    shadow: Object.freeze([]),
    shadowSample: 1,
  });
}

/** Every distinct version the plan can send a request to: routed (even at weight 0), shadowed, fallback. */
export function versionsToLoad(plan: RoutingPlan): number[] {
  const out: number[] = [];
  for (const r of plan.routes) if (!out.includes(r.version)) out.push(r.version);
  for (const v of plan.shadow) if (!out.includes(v)) out.push(v);
  if (plan.fallback !== undefined && !out.includes(plan.fallback)) out.push(plan.fallback);
  return out;
}

/**
 * The versions that can answer a routed request: routes that are picked
 * (weight above 0) and the fallback. A model none of these is loaded for
 * serves nothing, whatever its shadows hold.
 */
export function answeringVersions(plan: RoutingPlan): number[] {
  const out: number[] = [];
  for (const r of plan.routes) if (r.weight > 0 && !out.includes(r.version)) out.push(r.version);
  if (plan.fallback !== undefined && !out.includes(plan.fallback)) out.push(plan.fallback);
  return out;
}

export function cumulativeWeights(routes: readonly { weight: number }[]): number[] {
  const out = new Array<number>(routes.length);
  let sum = 0;
  for (let i = 0; i < routes.length; i++) out[i] = sum += routes[i].weight;
  return out;
}

/** Parses `header:<name>` or `field:<name>`; undefined when malformed. */
export function parseSticky(sticky: string): StickySource | undefined {
  const colon = sticky.indexOf(':');
  if (colon < 0) return undefined;
  const kind = sticky.slice(0, colon).trim().toLowerCase();
  const name = sticky.slice(colon + 1).trim();
  if (name === '') return undefined;
  if (kind === 'header') {
    return HEADER_NAME.test(name) ? Object.freeze({ from: 'header', name: name.toLowerCase() }) : undefined;
  }
  if (kind === 'field') return Object.freeze({ from: 'field', name });
  return undefined;
}

// RFC 9110 token: what Node accepts as a header name.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function fromPolicy(policy: TrafficPolicy, aliases: Record<string, number>): RoutingPlan | RoutingPlanError {
  if (!Array.isArray(policy.routes) || policy.routes.length === 0) {
    return failure('invalid_policy', 'its traffic policy has no routes');
  }
  const routes: Route[] = [];
  const variants = new Set<string>();
  for (let i = 0; i < policy.routes.length; i++) {
    const route = resolveRoute(policy.routes[i], i, aliases);
    if (!route.ok) return route.error;
    if (variants.has(route.value.variant)) {
      return failure('invalid_policy', `two routes of its traffic policy are both named "${route.value.variant}"`);
    }
    variants.add(route.value.variant);
    routes.push(route.value);
  }
  const cumulative = cumulativeWeights(routes);
  const total = cumulative[cumulative.length - 1];
  if (Math.abs(total - TOTAL_WEIGHT) > WEIGHT_TOLERANCE) {
    return failure('invalid_policy', `the weights of its traffic policy sum to ${total}, not ${TOTAL_WEIGHT}`);
  }

  let sticky: StickySource | undefined;
  if (policy.sticky != null && policy.sticky !== '') {
    sticky = typeof policy.sticky === 'string' ? parseSticky(policy.sticky) : undefined;
    if (!sticky) {
      return failure('invalid_policy', `its sticky key ${JSON.stringify(policy.sticky)} is not "header:<name>" or "field:<name>"`);
    }
  }

  const shadow: number[] = [];
  for (const v of policy.shadow ?? []) {
    if (!isVersion(v)) return failure('invalid_policy', `its shadow list holds ${JSON.stringify(v)}, not a version`);
    if (!shadow.includes(v)) shadow.push(v);
  }

  let fallback: number | undefined;
  if (policy.fallback != null) {
    if (!isVersion(policy.fallback)) {
      return failure('invalid_policy', `its fallback ${JSON.stringify(policy.fallback)} is not a version`);
    }
    fallback = policy.fallback;
  }

  let timeoutMs: number | undefined;
  if (policy.timeout_ms != null) {
    if (typeof policy.timeout_ms !== 'number' || !Number.isFinite(policy.timeout_ms) || policy.timeout_ms <= 0) {
      return failure('invalid_policy', `its timeout_ms ${JSON.stringify(policy.timeout_ms)} is not a positive number`);
    }
    timeoutMs = policy.timeout_ms;
  }

  let shadowSample = 1;
  if (policy.shadow_sample != null) {
    const v = policy.shadow_sample;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) return failure('invalid_policy', `its shadow_sample ${JSON.stringify(v)} is not between 0 and 1`);
    shadowSample = v;
  }

  const plan: RoutingPlan = {
    ok: true,
    source: 'traffic_policy',
    routes: Object.freeze(routes),
    cumulativeWeights: Object.freeze(cumulative),
    shadow: Object.freeze(shadow),
    shadowSample,
    ...(sticky && { sticky }),
    ...(fallback !== undefined && { fallback }),
    ...(timeoutMs !== undefined && { timeoutMs }),
  };
  return Object.freeze(plan);
}

type Resolved = { ok: true; value: Route } | { ok: false; error: RoutingPlanError };

function resolveRoute(r: TrafficRoute, index: number, aliases: Record<string, number>): Resolved {
  const where = `route ${index + 1} of its traffic policy`;
  if (r == null || typeof r !== 'object') return invalid('invalid_policy', `${where} is not an object`);
  const { weight } = r;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    return invalid('invalid_policy', `${where} has weight ${JSON.stringify(weight)}, not a number from 0 to ${TOTAL_WEIGHT}`);
  }
  const hasVersion = r.version != null;
  const hasAlias = r.alias != null;
  if (hasVersion === hasAlias) return invalid('invalid_policy', `${where} must name exactly one of a version and an alias`);

  let version: number;
  let alias: string | undefined;
  if (hasVersion) {
    if (!isVersion(r.version)) return invalid('invalid_policy', `${where} names ${JSON.stringify(r.version)}, not a version`);
    version = r.version;
  } else {
    alias = String(r.alias);
    // An own-property lookup, so that an alias named like an Object.prototype member resolves to nothing.
    const target = Object.hasOwn(aliases, alias) ? aliases[alias] : undefined;
    if (target == null) return invalid('unknown_alias', `${where} follows the alias "${alias}", which points to no version`);
    if (!isVersion(target)) {
      return invalid('invalid_policy', `the alias "${alias}" points to ${JSON.stringify(target)}, not a version`);
    }
    version = target;
  }
  const variant = typeof r.name === 'string' && r.name !== '' ? r.name : (alias ?? `v${version}`);
  const route: Route = alias === undefined ? { variant, version, weight } : { variant, version, weight, alias };
  return { ok: true, value: Object.freeze(route) };
}

function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

function failure(code: RoutingPlanErrorCode, message: string): RoutingPlanError {
  return Object.freeze({ ok: false, code, message });
}

function invalid(code: RoutingPlanErrorCode, message: string): Resolved {
  return { ok: false, error: failure(code, message) };
}
