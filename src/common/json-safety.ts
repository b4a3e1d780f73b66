import { ValidationFailed } from './errors.js';

/**
 * What PostgreSQL cannot store and a JSON serialiser cannot walk. A text
 * column refuses a NUL byte (SQLSTATE 22021), jsonb refuses NUL and lone
 * UTF-16 surrogates (22P05), and a text column silently turns a lone
 * surrogate into U+FFFD; `JSON.stringify` recurses, so a document nested a
 * few thousand levels deep overflows the stack. Checked once where request
 * JSON and strings enter (`parseWith`), before any schema or query sees them.
 */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays (the top level is depth 1). */
  maxDepth: number;
  /** Most values (scalars, objects, arrays) in one document. */
  maxNodes: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxNodes: 200_000 };

// Node 20 has String.prototype.isWellFormed (ES2024); the project's lib is older.
type WellFormed = string & { isWellFormed(): boolean };

/** Why a string cannot be stored as text or jsonb, or `undefined` when it can. */
export function unstorableText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (!(s as WellFormed).isWellFormed()) return 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)';
  return undefined;
}

interface Frame {
  value: unknown;
  depth: number;
  path: readonly (string | number)[];
}

const fieldOf = (where: string, path: readonly (string | number)[]) => (path.length ? path.join('.') : where);

/**
 * Walks a parsed JSON value without recursion (so depth itself cannot
 * overflow the stack) and refuses the first unstorable string, key, depth or
 * size as a 400 naming the field.
 */
export function assertStorableJson(value: unknown, where = 'body', limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  const stack: Frame[] = [{ value, depth: 1, path: [] }];
  let nodes = 0;
  while (stack.length) {
    const { value: v, depth, path } = stack.pop()!;
    if (++nodes > limits.maxNodes) {
      throw new ValidationFailed(`${where}: more than ${limits.maxNodes} JSON values`, { field: where, max_nodes: limits.maxNodes });
    }
    if (typeof v === 'string') {
      const why = unstorableText(v);
      if (why) throw refuse(fieldOf(where, path), why);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > limits.maxDepth) {
      const field = fieldOf(where, path);
      throw new ValidationFailed(`${field}: nested deeper than ${limits.maxDepth} levels`, { field, max_depth: limits.maxDepth });
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: depth + 1, path: [...path, i] });
      continue;
    }
    for (const key of Object.keys(v)) {
      const why = unstorableText(key);
      if (why) throw refuse(fieldOf(where, [...path, key]), `key ${why}`);
      stack.push({ value: (v as Record<string, unknown>)[key], depth: depth + 1, path: [...path, key] });
    }
  }
}

function refuse(field: string, why: string): ValidationFailed {
  // The field name itself may hold the bad character: show it escaped.
  const shown = JSON.stringify(field).slice(1, -1);
  return new ValidationFailed(`${shown}: ${why}`, { field: shown });
}
