import { describe, expect, it } from 'vitest';
import { namedRows } from './oip-named-rows.js';

const FEATURES = ['age', 'income'];

describe('namedRows', () => {
  it('turns a BYTES entity input and [N, 1] or [N] feature inputs into named rows', () => {
    const rows = namedRows(
      [
        { name: 'customer_id', datatype: 'BYTES', shape: [2, 1], data: ['c-1', 'c-2'] },
        { name: 'age', datatype: 'FP64', shape: [2], data: [41, 52] },
      ],
      ['customer_id'],
      FEATURES,
    );
    expect(rows).toEqual([
      { customer_id: 'c-1', age: 41 },
      { customer_id: 'c-2', age: 52 },
    ]);
  });

  it('answers undefined when no input is named for an entity (the usual tensor way)', () => {
    expect(namedRows([{ name: 'age', datatype: 'FP64', shape: [1], data: [41] }], ['customer_id'], FEATURES)).toBeUndefined();
  });

  it('refuses an unknown input, a numeric entity, a string feature and uneven rows, naming the input', () => {
    const id = { name: 'customer_id', datatype: 'BYTES', shape: [1], data: ['c-1'] };
    expect(() => namedRows([id, { name: 'colour', datatype: 'FP32', shape: [1], data: [1] }], ['customer_id'], FEATURES)).toThrow(/"colour" is neither/);
    expect(() => namedRows([{ ...id, datatype: 'INT64', data: [1] }], ['customer_id'], FEATURES)).toThrow(/entity key must be BYTES/);
    expect(() => namedRows([id, { name: 'age', datatype: 'BYTES', shape: [1], data: ['x'] }], ['customer_id'], FEATURES)).toThrow(/"age": a feature must be numeric/);
    expect(() => namedRows([id, { name: 'age', datatype: 'FP32', shape: [2], data: [1, 2] }], ['customer_id'], FEATURES)).toThrow(/same number of rows/);
  });
});
