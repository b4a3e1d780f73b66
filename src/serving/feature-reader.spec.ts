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

  describe('readFilled (rows filled from the online store)', () => {
    const filledReader = new FeatureReader(['age', 'income', 'debt'], ['customer_id'], ['income', 'debt']);
    /** A filled row as the resolver builds it: the row as sent, each looked-up feature's served value (in the block's order), and the merged row. */
    const filledRow = (sent: Record<string, unknown>, features: Record<string, unknown>) => ({
      sent,
      served: ['income', 'debt'].map((k) => features[k]),
      get values() {
        return { ...sent, ...Object.fromEntries(Object.entries(features).filter(([k]) => !(k in sent))) };
      },
    });

    it('reads the sent features from the row and the looked-up ones from their served values, as the merged rows would read', () => {
      const rows = [filledRow({ customer_id: 'c-1', age: 40 }, { income: 5000, debt: null }), filledRow({ age: 7, income: 3, customer_id: 'c-2' }, { income: 3, debt: 1 })];
      const fast = new Float32Array(6);
      filledReader.readFilled(rows, fast);
      const merged = new Float32Array(6);
      filledReader.readInstances(rows.map((r) => r.values), merged);
      expect(Array.from(fast)).toEqual(Array.from(merged));
      expect(Array.from(fast.slice(3))).toEqual([7, 3, 1]);
      expect(Number.isNaN(fast[2])).toBe(true);
    });

    it('reads a good row from its sent values and served array alone, without building its merged row', () => {
      let merges = 0;
      const row = { sent: { customer_id: 'c-1', age: 40, debt: 2 }, served: [5000, 2], get values(): Record<string, unknown> {
        merges++;
        return { customer_id: 'c-1', age: 40, income: 5000, debt: 2 };
      } };
      const out = new Float32Array(3);
      filledReader.readFilled([row], out);
      expect(Array.from(out)).toEqual([40, 5000, 2]);
      expect(merges).toBe(0);
    });

    it('names the row and the feature of a bad row as readInstances does: a wrong type, a missing feature, an unknown key', () => {
      const ok = filledRow({ customer_id: 'c-1', age: 1 }, { income: 1, debt: 1 });
      const wrongType = caught(() => filledReader.readFilled([ok, filledRow({ customer_id: 'c-2', age: 'old' }, { income: 1, debt: 1 })], new Float32Array(6)));
      expect(wrongType.message).toBe('instances.1.age must be a number or null, not the string "old"');
      const missing = caught(() => filledReader.readFilled([ok, filledRow({ customer_id: 'c-2' }, { income: 1, debt: 1 })], new Float32Array(6)));
      expect(missing.message).toContain('instances.1 is missing feature "age"');
      const unknown = caught(() => filledReader.readFilled([ok, filledRow({ customer_id: 'c-2', age: 1, color: 2 }, { income: 1, debt: 1 })], new Float32Array(6)));
      expect(unknown.message).toBe('instances.1 has unknown feature "color"');
    });
  });
});
