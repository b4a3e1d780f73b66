import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../common/errors.js';
import { FeatureReader } from './feature-reader.js';

const reader = new FeatureReader(['age', 'income', 'weird "name"']);

function caught(fn: () => void): ValidationFailed {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationFailed) return err;
    throw err;
  }
  throw new Error('expected a ValidationFailed');
}

describe('FeatureReader', () => {
  it('reads named instances in any key order into feature order, null as NaN', () => {
    const out = new Float32Array(6);
    reader.readInstances(
      [
        { income: 2, 'weird "name"': 3, age: 1 },
        { age: 4, income: null, 'weird "name"': 6 },
      ],
      out,
    );
    expect(Array.from(out.slice(0, 3))).toEqual([1, 2, 3]);
    expect(out[3]).toBe(4);
    expect(Number.isNaN(out[4])).toBe(true);
    expect(out[5]).toBe(6);
  });

  it('names a missing feature and its instance', () => {
    const err = caught(() => reader.readInstances([{ age: 1, income: 2, 'weird "name"': 3 }, { age: 1, income: 2 }], new Float32Array(6)));
    expect(err.message).toMatch(/instances\.1 is missing feature "weird \\"name\\""|instances\.1 is missing feature "weird "name""/);
    expect(err.details).toMatchObject({ feature: 'weird "name"', reason: 'missing' });
  });

  it('names an unknown feature', () => {
    const err = caught(() => reader.readInstances([{ age: 1, income: 2, 'weird "name"': 3, colour: 'red' }], new Float32Array(3)));
    expect(err.details).toMatchObject({ feature: 'colour', reason: 'unknown', field: 'instances.0.colour' });
  });

  it('lets declared entity keys through beside the features, and still names any other unknown key', () => {
    const keyed = new FeatureReader(['age', 'income'], ['customer_id']);
    const out = new Float64Array(2);
    keyed.readInstances([{ customer_id: 'c-42', income: 2, age: 1 }], out);
    expect(Array.from(out)).toEqual([1, 2]);
    const err = caught(() => keyed.readInstances([{ customer_id: 'c-42', age: 1, income: 2, colour: 3 }], new Float64Array(2)));
    expect(err.details).toMatchObject({ feature: 'colour', reason: 'unknown', unknown_features: ['colour'] });
    expect(() => reader.readInstances([{ customer_id: 'c-42', age: 1, income: 2, 'weird "name"': 3 }], new Float32Array(3))).toThrow(/unknown feature "customer_id"/);
  });

  it('refuses a value that is not a number or null, naming its type', () => {
    const err = caught(() => reader.readInstances([{ age: '41', income: 2, 'weird "name"': 3 }], new Float32Array(3)));
    expect(err.message).toBe('instances.0.age must be a number or null, not the string "41"');
  });

  it('refuses an instance that is not an object', () => {
    expect(caught(() => reader.readInstances([[1, 2, 3]], new Float32Array(3))).details).toMatchObject({ field: 'instances.0' });
  });

  it('reads ordered rows and checks their width', () => {
    const out = new Float64Array(3);
    reader.readInputs([[1, null, 3]], out);
    expect(out[0]).toBe(1);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(caught(() => reader.readInputs([[1, 2]], out)).details).toMatchObject({ expected_width: 3, width: 2 });
    expect(caught(() => reader.readInputs([[1, 2, true]], out)).details).toMatchObject({ field: 'inputs.0.2' });
  });
});
