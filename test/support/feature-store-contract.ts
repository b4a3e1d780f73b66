import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRow } from '../../src/features/feature-view.js';
import type { FeatureStore } from '../../src/features/stores/feature-store.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const row = (entity: string, values: FeatureRow['values'], eventTime = T0): FeatureRow => ({ entity, values, eventTime });

/**
 * The behaviour every online FeatureStore must have, run against each
 * implementation by its own spec file (like the artifact store's contract).
 * `views` are view names the suite may write (created beforehand where the
 * store needs them to exist).
 */
export function behavesAsAFeatureStore(name: string, open: () => Promise<{ store: FeatureStore; views: [string, string] }>, close: () => Promise<void>) {
  describe(`${name} as a FeatureStore`, () => {
    let store: FeatureStore;
    let a: string;
    let b: string;

    beforeAll(async () => {
      ({ store, views: [a, b] } = await open());
    });
    afterAll(async () => {
      await close();
    });

    it('reads back what it wrote, with its event time and types', async () => {
      const values = { income: 5000.25, age: 41, segment: 'gold: "vip"', active: true, debt: null, code: '007', tiny: -3.5e-7, zero: 0, blank: '' };
      expect(await store.upsert(a, [row('c-1', values)])).toEqual({ written: 1, older: 0 });
      expect(await store.lookup(a, ['c-1'])).toEqual([{ values, eventTime: T0 }]);
    });

    it('answers a batch in the order asked, undefined for an entity it does not hold', async () => {
      await store.upsert(a, [row('b-1', { income: 1 }), row('b-2', { income: 2 })]);
      const got = await store.lookup(a, ['b-2', 'nobody', 'b-1', 'b-2']);
      expect(got.map((r) => r?.values.income)).toEqual([2, undefined, 1, 2]);
    });

    it('never lets an older event overwrite a newer one, and lets a newer or equal one replace it', async () => {
      await store.upsert(a, [row('e-1', { income: 10 }, T0 + 1_000)]);
      expect(await store.upsert(a, [row('e-1', { income: 5 }, T0)])).toEqual({ written: 0, older: 1 });
      expect((await store.lookup(a, ['e-1']))[0]).toEqual({ values: { income: 10 }, eventTime: T0 + 1_000 });
      expect(await store.upsert(a, [row('e-1', { income: 11 }, T0 + 1_000)])).toEqual({ written: 1, older: 0 });
      await store.upsert(a, [row('e-1', { income: 12, age: 3 }, T0 + 2_000)]);
      expect((await store.lookup(a, ['e-1']))[0]).toEqual({ values: { income: 12, age: 3 }, eventTime: T0 + 2_000 });
    });

    it('replaces an entity values whole: a feature absent from the newer row is gone', async () => {
      await store.upsert(a, [row('r-1', { income: 1, age: 2 }, T0)]);
      await store.upsert(a, [row('r-1', { income: 3 }, T0 + 1)]);
      expect((await store.lookup(a, ['r-1']))[0]?.values).toEqual({ income: 3 });
    });

    it('keeps the latest event of an entity that appears twice in one batch, whatever the order', async () => {
      const out = await store.upsert(a, [row('d-1', { income: 2 }, T0 + 2), row('d-1', { income: 1 }, T0 + 1)]);
      expect(out.written).toBe(1);
      expect((await store.lookup(a, ['d-1']))[0]?.values.income).toBe(2);
    });

    it('ends with the latest event when writers race on one entity', async () => {
      const times = Array.from({ length: 20 }, (_, i) => T0 + ((i * 7) % 20));
      await Promise.all(times.map((t) => store.upsert(a, [row('race', { income: t }, t)])));
      const max = Math.max(...times);
      expect((await store.lookup(a, ['race']))[0]).toEqual({ values: { income: max }, eventTime: max });
    });

    it('keeps views apart and deletes one view without touching another', async () => {
      await store.upsert(a, [row('shared', { income: 1 })]);
      await store.upsert(b, [row('shared', { score: 9 })]);
      expect((await store.lookup(b, ['shared']))[0]?.values).toEqual({ score: 9 });
      await store.deleteView(b);
      expect(await store.lookup(b, ['shared'])).toEqual([undefined]);
      expect((await store.lookup(a, ['shared']))[0]?.values).toEqual({ income: 1 });
    });

    it('keys entities with separators, wildcards and non-ASCII exactly', async () => {
      const odd = ['a:b', 'a*', 'x\u001fy', 'é-ß-日本', '[1]'];
      await store.upsert(a, odd.map((e, i) => row(e, { income: i })));
      expect((await store.lookup(a, odd)).map((r) => r?.values.income)).toEqual([0, 1, 2, 3, 4]);
      expect(await store.lookup(a, ['a?', 'a'])).toEqual([undefined, undefined]);
    });

    it('reads several views in one batch, each answer in its request order, empty requests included', async () => {
      await store.upsert(a, [row('m-1', { income: 1 }), row('m-2', { income: 2 })]);
      await store.upsert(b, [row('m-1', { score: 7 }, T0 + 5)]);
      const got = await store.lookupMany([
        { view: a, entities: ['m-2', 'nobody', 'm-1'] },
        { view: b, entities: [] },
        { view: b, entities: ['m-1', 'm-2'] },
      ]);
      expect(got).toEqual([
        [{ values: { income: 2 }, eventTime: T0 }, undefined, { values: { income: 1 }, eventTime: T0 }],
        [],
        [{ values: { score: 7 }, eventTime: T0 + 5 }, undefined],
      ]);
      expect(await store.lookupMany([])).toEqual([]);
      expect(await store.lookupMany([{ view: a, entities: [] }])).toEqual([[]]);
    });

    it('writes and reads 5,000 entities in one batch each', async () => {
      const ids = Array.from({ length: 5_000 }, (_, i) => `bulk-${i}`);
      expect((await store.upsert(a, ids.map((e, i) => row(e, { income: i })))).written).toBe(5_000);
      const got = await store.lookup(a, ids);
      expect(got.every((r, i) => r?.values.income === i)).toBe(true);
    });
  });
}
