/**
 * The registry's event types (PRODUCT.md "Registry events"). Rollout events
 * are written by the releases module through the same recorder.
 */
export const REGISTRY_EVENT_TYPES = [
  'model.created',
  'model.updated',
  'version.created',
  'version.archived',
  'alias.moved',
  'alias.deleted',
  'traffic.changed',
  'rollback',
  'rollout.started',
  'rollout.step',
  'rollout.completed',
  'rollout.aborted',
  'gate.refused',
  'approval.requested',
  'approval.decided',
] as const;
export type RegistryEventType = (typeof REGISTRY_EVENT_TYPES)[number];

/** `alias.*` matches every alias event, `*` everything, anything else itself. */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** A subscription pattern is a known type, a known type prefix with `.*`, or `*`. */
export function isEventPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return REGISTRY_EVENT_TYPES.some((t) => t.startsWith(pattern.slice(0, -1)));
  return (REGISTRY_EVENT_TYPES as readonly string[]).includes(pattern);
}
