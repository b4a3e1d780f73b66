import { describe, expect, it } from 'vitest';
import { buildCategoricalSketch, categoryKey, sortedRecord } from './categorical-sketch.js';

describe('categoryKey', () => {
  it('gives numeric codes one spelling whether they arrive as numbers or text', () => {
    expect([2, 2.0, '2', '2.0', ' 2 ', '+2', '2e0'].map(categoryKey)).toEqual(['2', '2', '2', '2', '2', '2', '2']);
    expect(categoryKey(-0)).toBe('0');
    expect(categoryKey('1.50')).toBe('1.5');
  });

  it('keeps text categories as written, trimmed', () => {
    expect(categoryKey(' north ')).toBe('north');
    expect(categoryKey('0x10')).toBe('0x10');
  });

  it('reads NaN, null and the missing spellings as missing', () => {
    expect([NaN, null, undefined, '', 'NaN', 'null', 'NA'].map(categoryKey)).toEqual([null, null, null, null, null, null, null]);
  });
});

describe('buildCategoricalSketch', () => {
  it('counts each category and the missing values apart', () => {
    expect(buildCategoricalSketch([1, 2, 2, NaN, 1, 2, 'x'])).toEqual({
      type: 'categorical',
      count: 6,
      missing: 1,
      frequencies: { '1': 2, '2': 3, x: 1 },
    });
  });

  it('reads a Float64Array of predicted class indices', () => {
    expect(buildCategoricalSketch(Float64Array.from([0, 2, 2])).frequencies).toEqual({ '0': 1, '2': 2 });
  });

  it('serialises equal inputs equally, whatever their order', () => {
    expect(JSON.stringify(buildCategoricalSketch(['b', 10, 'a', 9]))).toBe(JSON.stringify(buildCategoricalSketch([9, 'a', 10, 'b'])));
  });
});

describe('sortedRecord', () => {
  it('orders keys the same way whatever order they were counted in', () => {
    const entries: [string, number][] = [['b', 1], ['10', 1], ['a', 1], ['9', 1], ['-1', 1], ['2.5', 1]];
    const keys = Object.keys(sortedRecord(new Map(entries)));
    expect(keys).toEqual(['9', '10', '-1', '2.5', 'a', 'b']);
    expect(Object.keys(sortedRecord(new Map([...entries].reverse())))).toEqual(keys);
  });
});
