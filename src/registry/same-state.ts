import type { ServingState } from './serving-state.js';

/**
 * Structural equality of two JSON values: object keys in any order (jsonb
 * hands them back sorted by length, then bytes, not as they were written),
 * arrays element by element in order (a policy's routes are ordered).
 * A key whose value is `undefined` counts as absent, as in JSON.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((x, i) => jsonEqual(x, bs[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** Whether a change would leave what serves exactly as it is (then no revision is appended). */
export function sameState(a: ServingState, b: ServingState): boolean {
  return jsonEqual(a.aliases, b.aliases) && jsonEqual(a.traffic ?? null, b.traffic ?? null);
}
