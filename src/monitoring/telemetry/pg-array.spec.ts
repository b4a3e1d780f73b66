import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { boolArray, nullableNumberArray, numberArray, sparseJsonRows, textArray } from './pg-array.js';

// node-postgres' own serialisation, the reference these literals replace (an internal module, untyped).
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): string };
const pgLiteral = (xs: unknown[]) => prepareValue(xs);

describe('PostgreSQL array literals', () => {
  it('quote and escape text exactly as node-postgres does', () => {
    const xs = ['credit', 'a"b', 'back\\slash', '{braces},commas', '', 'NULL', null, 'credit', 'é ✓'];
    expect(textArray(xs)).toBe(pgLiteral(xs));
  });

  it('write numbers and booleans unquoted, in the JavaScript form PostgreSQL parses', () => {
    expect(numberArray([1, -2.5, 1_764_000_000_123, 1e-7])).toBe('{1,-2.5,1764000000123,1e-7}');
    expect(boolArray([true, false])).toBe('{true,false}');
    expect(numberArray([])).toBe('{}');
  });

  it('keys the rows that have JSON by their index, leaving the others out', () => {
    const doc = sparseJsonRows(['{"a":"q\\"uote"}', null, '[1,2]', 'null']);
    expect(JSON.parse(doc)).toEqual({ 0: { a: 'q"uote' }, 2: [1, 2] });
    expect(sparseJsonRows([null, null])).toBe('{}');
  });

  it('writes missing or non-finite numbers as NULL', () => {
    expect(nullableNumberArray([1.5, undefined, Number.NaN, -2])).toBe('{1.5,NULL,NULL,-2}');
  });
});
