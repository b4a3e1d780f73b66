import type { Scope } from '../common/http-route-table.js';

export type { Scope } from '../common/http-route-table.js';

export const SCOPES = ['admin', 'registry:read', 'registry:write', 'predict', 'feedback', 'monitor:read', 'monitor:write', 'approve', 'features:write'] as const satisfies readonly Scope[];

/** Who made a request: the key id, written into history rows as the actor. */
export interface Actor {
  keyId: string;
  name: string;
  scopes: readonly Scope[];
}

const BIT: Readonly<Record<Scope, number>> = {
  admin: 1,
  'registry:read': 2,
  'registry:write': 4,
  predict: 8,
  feedback: 16,
  'monitor:read': 32,
  // Acknowledging alerts and managing silences (PRODUCT.md "Scopes, completed").
  'monitor:write': 64,
  // Deciding approval requests. Admin passes the route's check, but the
  // approvals service asks for this scope held explicitly (PRODUCT.md "Releases").
  approve: 128,
  // A data pipeline's key: writes online feature rows, nothing else.
  'features:write': 256,
};
const ALL = 511;

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && Object.hasOwn(BIT, value);
}

/** The bit a route requires; checking a key is then one AND, on every prediction. */
export function scopeBit(scope: Scope): number {
  return BIT[scope];
}

/**
 * Everything a set of held scopes lets through, as a bit mask: `admin`
 * passes every check and `registry:write` also reads, because an engineer
 * who may move an alias must be able to see where it points.
 */
export function grantedMask(held: readonly Scope[]): number {
  let mask = 0;
  for (const s of held) mask |= BIT[s];
  if (mask & BIT.admin) return ALL;
  if (mask & BIT['registry:write']) mask |= BIT['registry:read'];
  return mask;
}

export function grants(held: readonly Scope[], required: Scope): boolean {
  return (grantedMask(held) & BIT[required]) !== 0;
}
