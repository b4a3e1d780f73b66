import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cumulativeWeights, type Route } from './routing-plan.js';
import { BUCKETS, murmur3, stickyKeyFrom, TrafficRouter } from './traffic-router.js';

function split(weights: number[]) {
  const routes: Route[] = weights.map((weight, i) => ({ variant: `r${i}`, version: i + 1, weight }));
  return { routes, cumulativeWeights: cumulativeWeights(routes) };
}

/** A seeded uniform source (mulberry32), so that statistical tests give the same verdict on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pearson's statistic of observed counts against the counts the weights (percent) predict. */
function chiSquare(observed: number[], weights: number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const expected = (n * weights[i]) / 100;
    stat += (observed[i] - expected) ** 2 / expected;
  }
  return stat;
}

// Upper 0.1% points of the chi-square distribution (scipy.stats.chi2.ppf(0.999, df)).
const CRITICAL_P001: Record<number, number> = { 1: 10.828, 2: 13.816 };

function countPicks(router: TrafficRouter, n: number, key?: (i: number) => string): number[] {
  const counts = new Array<number>(router.routes.length).fill(0);
  for (let i = 0; i < n; i++) counts[Number(router.pick(key?.(i)).variant.slice(1))]++;
  return counts;
}

/** Weights summing to 100, zeros included, from cut points on [0, 100]. */
const weightsArb = fc
  .array(fc.integer({ min: 0, max: 100 }), { maxLength: 5 })
  .map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), 100];
    return points.slice(1).map((p, i) => p - points[i]);
  });

describe('TrafficRouter', () => {
  describe.each([[[90, 10]], [[50, 30, 20]]])('splitting %j', (weights) => {
    it('spreads 10,000 random picks as the weights say (chi-square, p = 0.001)', () => {
      const router = new TrafficRouter(split(weights), { salt: 'credit', random: seeded(20240611) });
      const stat = chiSquare(countPicks(router, 10_000), weights);
      expect(stat).toBeLessThan(CRITICAL_P001[weights.length - 1]);
    });

    it('spreads 10,000 distinct sticky keys as the weights say (chi-square, p = 0.001)', () => {
      const router = new TrafficRouter(split(weights), { salt: 'credit' });
      const stat = chiSquare(
        countPicks(router, 10_000, (i) => `user-${i}`),
        weights,
      );
      expect(stat).toBeLessThan(CRITICAL_P001[weights.length - 1]);
    });
  });

  it('always sends the same sticky key to the same route, also from a router rebuilt from the same plan', () => {
    fc.assert(
      fc.property(weightsArb, fc.string(), fc.string({ minLength: 1 }), (weights, key, model) => {
        const a = new TrafficRouter(split(weights), { salt: model, random: seeded(1) });
        const b = new TrafficRouter(split(weights), { salt: model, random: seeded(2) });
        const first = a.pick(key);
        expect(a.pick(key)).toBe(first);
        expect(b.pick(key).variant).toBe(first.variant);
      }),
      { numRuns: 500 },
    );
  });

  it('never sends traffic to a route of weight 0, random or sticky', () => {
    fc.assert(
      fc.property(weightsArb, fc.integer(), (weights, seed) => {
        const router = new TrafficRouter(split(weights), { salt: 'm', random: seeded(seed) });
        for (let i = 0; i < 200; i++) {
          if (router.pick().weight === 0 || router.pick(`k${seed}-${i}`).weight === 0) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('sends every request to a route of weight 100, wherever it sits among weight-0 routes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.string(), fc.integer(), (n, at, key, seed) => {
        const weights = Array.from({ length: n }, (_, i) => (i === at % n ? 100 : 0));
        const router = new TrafficRouter(split(weights), { salt: 'm', random: seeded(seed) });
        expect(router.pick(key).weight).toBe(100);
        expect(router.pick().weight).toBe(100);
      }),
    );
  });

  it('lands on a route with traffic even if the random source returns its extremes', () => {
    const weights = [0, 60, 40, 0];
    expect(new TrafficRouter(split(weights), { salt: 'm', random: () => 0 }).pick().variant).toBe('r1');
    expect(new TrafficRouter(split(weights), { salt: 'm', random: () => 1 - Number.EPSILON / 2 }).pick().variant).toBe('r2');
    expect(new TrafficRouter(split(weights), { salt: 'm', random: () => 1 }).pick().variant).toBe('r2');
  });

  it('does not consume randomness for a sticky pick', () => {
    const router = new TrafficRouter(split([50, 50]), {
      salt: 'm',
      random: () => {
        throw new Error('random used');
      },
    });
    expect(() => router.pick('user-1')).not.toThrow();
  });

  it('splits two models independently for the same keys (chi-square test of independence, p = 0.001)', () => {
    const a = new TrafficRouter(split([50, 50]), { salt: 'credit' });
    const b = new TrafficRouter(split([50, 50]), { salt: 'fraud' });
    const table = [
      [0, 0],
      [0, 0],
    ];
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const key = `user-${i}`;
      table[Number(a.pick(key).variant.slice(1))][Number(b.pick(key).variant.slice(1))]++;
    }
    let stat = 0;
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        const expected = ((table[r][0] + table[r][1]) * (table[0][c] + table[1][c])) / n;
        stat += (table[r][c] - expected) ** 2 / expected;
      }
    }
    expect(stat).toBeLessThan(CRITICAL_P001[1]);
  });

  it('keeps every key that saw the challenger on it when the challenger ramps from 10% to 20%', () => {
    const before = new TrafficRouter(split([90, 10]), { salt: 'credit' });
    const after = new TrafficRouter(split([80, 20]), { salt: 'credit' });
    let moved = 0;
    for (let i = 0; i < 10_000; i++) {
      const key = `user-${i}`;
      const was = before.pick(key).variant;
      const now = after.pick(key).variant;
      if (was === 'r1') expect(now).toBe('r1');
      if (was !== now) moved++;
    }
    // About 10% of keys must move (1,000 expected; binomial sd 30).
    expect(moved).toBeGreaterThan(850);
    expect(moved).toBeLessThan(1150);
  });

  it("never flips a sticky user back as a rollout's candidate (the second route) rises 5% -> 25% -> 50% -> 100%", () => {
    const steps = [5, 25, 50, 100].map((w) => new TrafficRouter(split([100 - w, w]), { salt: 'credit' }));
    for (let i = 0; i < 20_000; i++) {
      const key = `user-${i}`;
      const seen = steps.map((r) => r.pick(key).variant);
      // Once on the candidate, on it at every later step.
      const first = seen.indexOf('r1');
      if (first >= 0) expect(seen.slice(first), key).toEqual(seen.slice(first).map(() => 'r1'));
    }
  });

  it('maps a sticky key to a bucket in [0, 10000) through the seeded MurmurHash3', () => {
    const router = new TrafficRouter(split([100]), { salt: 'credit' });
    expect(router.bucketOf('user-42')).toBe(murmur3('user-42', murmur3('credit')) % BUCKETS);
    fc.assert(fc.property(fc.string(), (key) => router.bucketOf(key) >= 0 && router.bucketOf(key) < BUCKETS));
  });

  it('refuses a plan without a route that has traffic', () => {
    expect(() => new TrafficRouter(split([0, 0]), { salt: 'm' })).toThrow(RangeError);
    expect(() => new TrafficRouter({ routes: [], cumulativeWeights: [] }, { salt: 'm' })).toThrow(RangeError);
  });
});

describe('stickyKeyFrom', () => {
  const header = { from: 'header', name: 'x-user-id' } as const;
  const field = { from: 'field', name: 'customer_id' } as const;

  it('reads a header by its lower-cased name', () => {
    expect(stickyKeyFrom(header, { 'x-user-id': 'u-17' }, undefined)).toBe('u-17');
  });

  it('takes the first value of a repeated header, joined by Node or given as an array', () => {
    expect(stickyKeyFrom(header, { 'x-user-id': 'u-1, u-2' }, undefined)).toBe('u-1');
    expect(stickyKeyFrom(header, { 'x-user-id': ['u-3', 'u-4'] }, undefined)).toBe('u-3');
  });

  it('has no key when the header is absent or empty', () => {
    expect(stickyKeyFrom(header, {}, { 'x-user-id': 'in the body' })).toBeUndefined();
    expect(stickyKeyFrom(header, { 'x-user-id': '  ' }, undefined)).toBeUndefined();
    expect(stickyKeyFrom(header, { 'x-user-id': [] }, undefined)).toBeUndefined();
  });

  it('reads a top-level body field that is a string or a number', () => {
    expect(stickyKeyFrom(field, {}, { customer_id: 'c-9', instances: [] })).toBe('c-9');
    expect(stickyKeyFrom(field, {}, { customer_id: 1234 })).toBe('1234');
  });

  it('has no key when the field is absent, empty, nested or of another type', () => {
    expect(stickyKeyFrom(field, { customer_id: 'header' }, { instances: [] })).toBeUndefined();
    expect(stickyKeyFrom(field, {}, { customer_id: '' })).toBeUndefined();
    expect(stickyKeyFrom(field, {}, { instances: [{ customer_id: 'c-1' }] })).toBeUndefined();
    expect(stickyKeyFrom(field, {}, { customer_id: true })).toBeUndefined();
    expect(stickyKeyFrom(field, {}, { customer_id: { id: 1 } })).toBeUndefined();
    expect(stickyKeyFrom(field, {}, [{ customer_id: 'c-1' }])).toBeUndefined();
    expect(stickyKeyFrom(field, {}, null)).toBeUndefined();
  });

  it('has no key when the plan is not sticky', () => {
    expect(stickyKeyFrom(undefined, { 'x-user-id': 'u-1' }, { customer_id: 'c-1' })).toBeUndefined();
  });
});
