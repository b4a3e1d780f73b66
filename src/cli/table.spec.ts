import { describe, expect, it } from 'vitest';
import { keyValues, table } from './table.js';

describe('CLI tables', () => {
  it('pads columns to the widest cell and shows absent values as a dash', () => {
    expect(table(['name', 'latest', 'aliases'], [['credit', 4, { production: 3 }], ['bc', null, {}]])).toBe(
      ['NAME    LATEST  ALIASES', 'credit  4       production=3', 'bc      -'].join('\n'),
    );
  });

  it('lists an object one field a line', () => {
    expect(keyValues({ name: 'credit', tags: ['a', 'b'] })).toBe('name  credit\ntags  a,b');
  });
});
