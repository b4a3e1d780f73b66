import { describe, expect, it } from 'vitest';
import { grantedMask, grants, isScope, scopeBit, SCOPES } from './scopes.js';

describe('scopes', () => {
  it('lets admin through every check', () => {
    for (const s of SCOPES) expect(grants(['admin'], s)).toBe(true);
  });

  it('lets registry:write also read the registry', () => {
    expect(grants(['registry:write'], 'registry:read')).toBe(true);
    expect(grants(['registry:write'], 'registry:write')).toBe(true);
  });

  it('does not let registry:read write', () => {
    expect(grants(['registry:read'], 'registry:write')).toBe(false);
  });

  it('matches every other scope exactly', () => {
    for (const held of SCOPES.filter((s) => s !== 'admin' && s !== 'registry:write')) {
      for (const required of SCOPES) expect(grants([held], required)).toBe(held === required);
    }
  });

  it('never treats a non-admin scope as admin', () => {
    const allButAdmin = SCOPES.filter((s) => s !== 'admin');
    expect(grants(allButAdmin, 'admin')).toBe(false);
  });

  it('grants the union of the scopes an on-call key holds', () => {
    const mask = grantedMask(['monitor:read', 'monitor:write', 'registry:write']);
    for (const s of ['monitor:read', 'monitor:write', 'registry:write', 'registry:read'] as const) expect(mask & scopeBit(s)).not.toBe(0);
    for (const s of ['predict', 'feedback', 'admin'] as const) expect(mask & scopeBit(s)).toBe(0);
  });

  it('grants nothing to an empty scope list', () => {
    expect(grantedMask([])).toBe(0);
  });

  it('gives every scope its own bit', () => {
    const bits = SCOPES.map(scopeBit);
    expect(new Set(bits).size).toBe(SCOPES.length);
    for (const b of bits) expect(b & (b - 1)).toBe(0);
  });

  it('recognises only the eight scopes', () => {
    expect(SCOPES).toContain('monitor:write');
    expect(SCOPES).toContain('approve');
    for (const s of SCOPES) expect(isScope(s)).toBe(true);
    for (const s of ['ADMIN', 'registry', 'toString', '__proto__', '', 3, null]) expect(isScope(s)).toBe(false);
  });
});
