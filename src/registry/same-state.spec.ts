import { describe, expect, it } from 'vitest';
import { jsonEqual, sameState } from './same-state.js';

describe('sameState', () => {
  it('treats a policy whose keys came back from jsonb in another order as the same', () => {
    const written = { aliases: { production: 1 }, traffic: { routes: [{ version: 1, weight: 100, name: 'a' }], fallback: 1, timeout_ms: 50 } };
    // PostgreSQL's jsonb orders keys by length, then bytewise.
    const stored = { aliases: { production: 1 }, traffic: { routes: [{ name: 'a', weight: 100, version: 1 }], fallback: 1, timeout_ms: 50 } };
    expect(JSON.stringify(written)).not.toBe(JSON.stringify(stored));
    expect(sameState(written, stored)).toBe(true);
  });

  it('sees a reordering of routes as a change, since route order is meaningful', () => {
    const a = { aliases: {}, traffic: { routes: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }] } };
    const b = { aliases: {}, traffic: { routes: [{ version: 2, weight: 50 }, { version: 1, weight: 50 }] } };
    expect(sameState(a, b)).toBe(false);
  });

  it('sees a changed weight, an added field or a cleared policy as a change', () => {
    const base = { aliases: { production: 1 }, traffic: { routes: [{ version: 1, weight: 100 }] } };
    expect(sameState(base, { ...base, traffic: { routes: [{ version: 1, weight: 99 }] } })).toBe(false);
    expect(sameState(base, { ...base, traffic: { routes: [{ version: 1, weight: 100 }], fallback: 1 } as never })).toBe(false);
    expect(sameState(base, { ...base, traffic: null })).toBe(false);
    expect(sameState(base, { ...base, aliases: { production: 2 } })).toBe(false);
    expect(sameState(base, { ...base, aliases: { production: 1, staging: 1 } })).toBe(false);
  });

  it('compares aliases without regard to their order', () => {
    expect(sameState({ aliases: { a: 1, b: 2 }, traffic: null }, { aliases: { b: 2, a: 1 }, traffic: null })).toBe(true);
  });
});

describe('jsonEqual', () => {
  it('tells arrays from objects and null from an empty object', () => {
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
  });
});
