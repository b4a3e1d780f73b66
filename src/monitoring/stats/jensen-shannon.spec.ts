import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jensenShannonDistance } from './jensen-shannon.js';

const ref = JSON.parse(readFileSync(new URL('../../../test/reference/categorical.json', import.meta.url), 'utf8')) as {
  jensenshannon: { p: number[]; q: number[]; base2: number; natural: number }[];
};

describe('jensenShannonDistance', () => {
  it('matches scipy.spatial.distance.jensenshannon in base 2 and base e', () => {
    for (const c of ref.jensenshannon) {
      expect(jensenShannonDistance(c.p, c.q, 2)).toBeCloseTo(c.base2, 12);
      expect(jensenShannonDistance(c.p, c.q, Math.E)).toBeCloseTo(c.natural, 12);
    }
  });

  it('is 0 for proportional counts and 1 for disjoint supports in base 2', () => {
    expect(jensenShannonDistance([1, 2, 3], [10, 20, 30])).toBe(0);
    expect(jensenShannonDistance([1, 0], [0, 5])).toBeCloseTo(1, 15);
  });

  it('is symmetric', () => {
    expect(jensenShannonDistance([3, 1, 0], [1, 1, 1])).toBe(jensenShannonDistance([1, 1, 1], [3, 1, 0]));
  });

  it('refuses vectors of different lengths', () => {
    expect(() => jensenShannonDistance([1], [1, 2])).toThrow(RangeError);
  });
});
