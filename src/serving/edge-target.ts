import { parseVersionParam } from '../common/validation.js';
import type { StickySource } from './routing/routing-plan.js';
import { type HeaderBag, stickyKeyFrom } from './routing/traffic-router.js';

/** Where a request asks to go: the traffic policy (with its sticky key), a pinned version, or an alias. */
export type Target = { kind: 'routed'; stickyKey?: string } | { kind: 'version'; version: number } | { kind: 'alias'; alias: string };

/** The route a request came in on: routed by the policy, or naming a version or alias (raw, as the URL or message carries it). */
export type RouteKind = Target['kind'];
export interface RouteRef {
  version?: string;
  alias?: string;
}

/**
 * The one place every edge (`/v1`, V2 REST, gRPC) turns its route into a
 * target: a pinned version or alias as given, a routed request with the
 * sticky key its model's policy names, read from the headers (gRPC
 * metadata) or a top-level field of `body`, else of `extra` (V2's
 * `parameters`: a top-level field wins, as it always has). Pure: `sticky`
 * is looked up by the caller only for a routed request.
 */
export function targetOf(kind: RouteKind, ref: RouteRef, sticky: StickySource | undefined, headers: HeaderBag, body: unknown, extra?: unknown): Target {
  if (kind === 'version') return { kind, version: parseVersionParam(ref.version!) };
  if (kind === 'alias') return { kind, alias: ref.alias! };
  if (sticky === undefined) return { kind };
  const from = sticky.from !== 'header' && extra !== undefined && !hasField(body, sticky.name) ? extra : body;
  return { kind, stickyKey: stickyKeyFrom(sticky, headers, from) };
}

function hasField(body: unknown, name: string): boolean {
  return body !== null && typeof body === 'object' && Object.hasOwn(body, name);
}
