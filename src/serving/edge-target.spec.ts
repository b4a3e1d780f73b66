import { describe, expect, it } from 'vitest';
import { targetOf } from './edge-target.js';

const header = { from: 'header' as const, name: 'x-user' };
const field = { from: 'field' as const, name: 'user' };

describe('targetOf', () => {
  it('takes a pinned version or an alias as the route gives it', () => {
    expect(targetOf('version', { version: '3' }, header, { 'x-user': 'a' }, {})).toEqual({ kind: 'version', version: 3 });
    expect(targetOf('alias', { alias: 'staging' }, header, {}, {})).toEqual({ kind: 'alias', alias: 'staging' });
  });

  it('refuses a version that is not a positive integer as the caller mistake', () => {
    expect(() => targetOf('version', { version: '0' }, undefined, {}, {})).toThrow(/positive integer/);
    expect(() => targetOf('version', { version: 'x' }, undefined, {}, {})).toThrow(/positive integer/);
  });

  it('routes without a sticky key when the policy names none', () => {
    expect(targetOf('routed', {}, undefined, { 'x-user': 'a' }, { user: 'b' })).toEqual({ kind: 'routed' });
  });

  it('reads a header sticky key (the first of a list) and ignores the body', () => {
    expect(targetOf('routed', {}, header, { 'x-user': ' a , b' }, { 'x-user': 'z' })).toEqual({ kind: 'routed', stickyKey: 'a' });
    expect(targetOf('routed', {}, header, {}, { 'x-user': 'z' })).toEqual({ kind: 'routed', stickyKey: undefined });
  });

  it('reads a field sticky key from the body first, then from the extra fields (V2 parameters)', () => {
    expect(targetOf('routed', {}, field, {}, { user: 'top' }, { user: 'param' })).toEqual({ kind: 'routed', stickyKey: 'top' });
    expect(targetOf('routed', {}, field, {}, { other: 1 }, { user: 42 })).toEqual({ kind: 'routed', stickyKey: '42' });
    // A top-level field present but unusable still wins, as when the two were merged with the top level on top.
    expect(targetOf('routed', {}, field, {}, { user: {} }, { user: 'param' })).toEqual({ kind: 'routed', stickyKey: undefined });
    expect(targetOf('routed', {}, field, {}, null, undefined)).toEqual({ kind: 'routed', stickyKey: undefined });
  });
});
