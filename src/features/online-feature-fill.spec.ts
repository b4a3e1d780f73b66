import { describe, expect, it } from 'vitest';
import { AppError } from '../common/errors.js';
import { fillRows, lookedUp, planLookups, type ViewAnswer, type ViewDefinition } from './online-feature-fill.js';
import { lookedUpFeatures, onlineFeaturesSchema } from './online-features.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const PROFILE: ViewDefinition = { entities: ['customer_id'], features: { income: 'float', debt: 'float', vip: 'bool' }, ttl_s: 60 };
const RISK: ViewDefinition = { entities: ['merchant_id', 'country'], features: { score: 'float' }, ttl_s: 3600 };
const VIEWS = new Map<string, ViewDefinition | undefined>([
  ['customer_profile', PROFILE],
  ['merchant_risk', RISK],
]);
const block = (features: Record<string, unknown>, entities = ['customer_id']) => onlineFeaturesSchema.parse({ timeout_ms: 20, entities, features });
const FEATURES = lookedUpFeatures(
  block(
    {
      income: 'customer_profile:income',
      debt: { ref: 'customer_profile:debt', on_missing: 'default', default: 0 },
      vip: { ref: 'customer_profile:vip', on_missing: 'missing' },
      risk: { ref: 'merchant_risk:score', on_missing: 'missing' },
    },
    ['customer_id', 'merchant_id', 'country'],
  ),
);
const stored = (values: Record<string, unknown>, ageMs = 1_000) => ({ values: values as any, eventTime: NOW - ageMs });

function run(rows: Record<string, unknown>[], answer: (view: string, entities: string[]) => ViewAnswer, features = FEATURES) {
  const plan = planLookups(features, VIEWS, rows);
  const answers = new Map(plan.requests.map((r) => [r.view, answer(r.view, r.entities)] as const));
  return { plan, out: fillRows(features, VIEWS, rows, plan, answers, 'redis', NOW) };
}

describe('planning the reads of a batch', () => {
  it('reads each view once, each entity once, and joins a multi-key entity in the view key order', () => {
    const rows = [
      { customer_id: 'c-1', merchant_id: 'm-1', country: 'DE' },
      { customer_id: 42, merchant_id: 'm-1', country: 'DE' },
      { customer_id: 'c-1', merchant_id: 'm-2', country: 'FR' },
    ];
    const plan = planLookups(FEATURES, VIEWS, rows);
    expect(plan.requests).toEqual([
      { view: 'customer_profile', entities: ['c-1', '42'] },
      { view: 'merchant_risk', entities: ['m-1\u001fDE', 'm-2\u001fFR'] },
    ]);
    expect([...plan.slots.get('customer_profile')!]).toEqual([0, 1, 0]);
    expect([...plan.slots.get('merchant_risk')!]).toEqual([0, 0, 1]);
  });

  it('needs no entity id, and reads nothing, for a row that sends every feature of a view', () => {
    const rows = [{ customer_id: 'c-1', income: 1, debt: 2, vip: null, risk: 0.5 }];
    expect(planLookups(FEATURES, VIEWS, rows).requests).toEqual([]);
    expect(planLookups(FEATURES, VIEWS, [{ income: 1, debt: 2, vip: 0, merchant_id: 'm', country: 'DE' }]).requests).toEqual([{ view: 'merchant_risk', entities: ['m\u001fDE'] }]);
  });

  it('refuses a row without a usable entity id with 400 naming the row and key', () => {
    for (const id of [undefined, null, '', true, { a: 1 }, Number.NaN]) {
      const err = (() => {
        try {
          planLookups(FEATURES, VIEWS, [{ customer_id: 'c-1', merchant_id: 'm', country: 'DE' }, { customer_id: id, merchant_id: 'm', country: 'DE' }]);
        } catch (e) {
          return e as AppError;
        }
      })();
      expect(err?.code).toBe('VALIDATION_FAILED');
      expect(err?.details).toMatchObject({ field: 'instances.1.customer_id', row: 1 });
    }
  });
});

describe('filling a batch', () => {
  const rows = [{ customer_id: 'c-1', merchant_id: 'm-1', country: 'DE', amount: 120 }];

  it('serves fresh stored values with their age, booleans as 1 and 0, and keeps what the caller sent', () => {
    const { out } = run(rows, (view) => ({ rows: [view === 'customer_profile' ? stored({ income: 5200.5, debt: 100, vip: true }, 2_500) : stored({ score: 0.25 })] }));
    expect(out.failure).toBeUndefined();
    expect(out.rows[0].values).toEqual({ customer_id: 'c-1', merchant_id: 'm-1', country: 'DE', amount: 120, income: 5200.5, debt: 100, vip: 1, risk: 0.25 });
    expect(out.rows[0].features.income).toEqual({ value: 5200.5, source: 'store', age_ms: 2_500 });
    expect(out.counts.get('customer_profile')).toEqual({ hit: 3, sent: 0, missing: 0, stale: 0, error: 0 });
  });

  it('lets a sent value win over the store, null included', () => {
    const { out } = run([{ ...rows[0], income: 1, vip: null }], () => ({ rows: [stored({ income: 5200.5, debt: 100, vip: true, score: 0.3 })] }));
    expect(out.rows[0].features.income).toEqual({ value: 1, source: 'sent', age_ms: null });
    expect(out.rows[0].features.vip).toEqual({ value: null, source: 'sent', age_ms: null });
    expect(out.rows[0].features.debt.source).toBe('store');
    expect(out.counts.get('customer_profile')).toMatchObject({ hit: 1, sent: 2 });
  });

  it('applies each policy to a missing value: default, missing (null), and fail as 422 FEATURE_MISSING naming feature and entity', () => {
    const { out } = run(rows, () => ({ rows: [undefined] }));
    expect(out.rows[0].features.debt).toEqual({ value: 0, source: 'default', age_ms: null });
    expect(out.rows[0].features.vip).toEqual({ value: null, source: 'missing', age_ms: null });
    expect(out.rows[0].features.risk).toEqual({ value: null, source: 'missing', age_ms: null });
    expect(out.failure?.code).toBe('FEATURE_MISSING');
    expect(out.failure?.kind).toBe('unprocessable');
    expect(out.failure?.details).toMatchObject({ feature: 'income', ref: 'customer_profile:income', entity: 'c-1', reason: 'missing', row: 0 });
    expect(out.counts.get('customer_profile')).toMatchObject({ missing: 3 });
  });

  it('treats a stored null as missing, and a value older than the view ttl as stale under the same policy', () => {
    const nulls = run(rows, () => ({ rows: [stored({ income: null, debt: null, vip: null, score: null })] })).out;
    expect(nulls.failure?.details).toMatchObject({ feature: 'income', reason: 'missing' });
    const stale = run(rows, (view) => ({ rows: [view === 'customer_profile' ? stored({ income: 1, debt: 2, vip: false }, 60_001) : stored({ score: 0.5 }, 60_001)] })).out;
    expect(stale.failure?.code).toBe('FEATURE_MISSING');
    expect(stale.failure?.details).toMatchObject({ feature: 'income', reason: 'stale' });
    expect(stale.rows[0].features.debt.source).toBe('default');
    expect(stale.rows[0].features.risk).toEqual({ value: 0.5, source: 'store', age_ms: 60_001 });
    expect(stale.counts.get('customer_profile')).toMatchObject({ stale: 3 });
    const edge = run(rows, () => ({ rows: [stored({ income: 1, debt: 2, vip: false }, 60_000)] })).out;
    expect(edge.failure).toBeUndefined();
  });

  it('fails a fail feature with 503 FEATURE_STORE_UNAVAILABLE when the store could not answer, and lets other policies decide', () => {
    const { out } = run(rows, () => ({ unavailable: 'timeout' }));
    expect(out.failure?.code).toBe('FEATURE_STORE_UNAVAILABLE');
    expect(out.failure?.kind).toBe('unavailable');
    expect(out.failure?.details).toMatchObject({ feature: 'income', store: 'redis', reason: 'timeout' });
    expect(out.rows[0].features.debt.source).toBe('default');
    expect(out.counts.get('merchant_risk')).toMatchObject({ error: 1 });
    const lenient = lookedUpFeatures(block({ debt: { ref: 'customer_profile:debt', on_missing: 'missing' } }));
    const soft = run([{ customer_id: 'c' }], () => ({ unavailable: 'circuit_open' }), lenient).out;
    expect(soft.failure).toBeUndefined();
    expect(soft.rows[0].values).toEqual({ customer_id: 'c', debt: null });
  });

  it('fails the whole batch on the first failing row, reporting that row', () => {
    const two = [{ customer_id: 'c-1', merchant_id: 'm', country: 'DE' }, { customer_id: 'c-2', merchant_id: 'm', country: 'DE' }];
    const { out } = run(two, (view, entities) => ({ rows: entities.map((e) => (view === 'customer_profile' && e === 'c-2' ? undefined : stored({ income: 1, debt: 1, vip: true, score: 1 }))) }));
    expect(out.failure?.details).toMatchObject({ entity: 'c-2', row: 1 });
  });

  it('reads a view deleted since the upload as holding nothing', () => {
    const gone = new Map<string, ViewDefinition | undefined>([['customer_profile', undefined]]);
    const features = lookedUpFeatures(block({ debt: { ref: 'customer_profile:debt', on_missing: 'default', default: 3 } }));
    const plan = planLookups(features, gone, [{ customer_id: 'c' }]);
    expect(plan.requests).toEqual([]);
    const out = fillRows(features, gone, [{ customer_id: 'c' }], plan, new Map(), 'postgres', NOW);
    expect(out.rows[0].features.debt).toEqual({ value: 3, source: 'default', age_ms: null });
  });
});

describe('whether a row was looked up (its performance feature_source)', () => {
  const all = { customer_id: 'c-1', merchant_id: 'm-1', country: 'DE', income: 1, debt: 2, vip: null, risk: 0.1 };
  const answer = () => ({ rows: [stored({ income: 5, debt: 6, vip: true, score: 0.3 })] });

  it('is sent when the caller sent every looked-up feature, null included', () => {
    expect(lookedUp(run([all], answer).out.rows[0])).toBe(false);
  });

  it('is looked up when any one feature came from the store', () => {
    const { risk: _, ...noRisk } = all;
    expect(lookedUp(run([noRisk], answer).out.rows[0])).toBe(true);
  });

  it('is looked up when a feature the caller left out was served by its default or missing policy', () => {
    const { debt: _d, ...noDebt } = all;
    const { vip: _v, ...noVip } = all;
    const none = () => ({ rows: [undefined] });
    const byDefault = run([noDebt], none).out.rows[0];
    expect(byDefault.features.debt.source).toBe('default');
    expect(lookedUp(byDefault)).toBe(true);
    const byMissing = run([noVip], none).out.rows[0];
    expect(byMissing.features.vip.source).toBe('missing');
    expect(lookedUp(byMissing)).toBe(true);
  });

  it('is sent for a row with no looked-up features at all', () => {
    const rows = [{ a: 1 }];
    const row = fillRows([], new Map(), rows, planLookups([], new Map(), rows), new Map(), 'postgres', NOW).rows[0];
    expect(lookedUp(row)).toBe(false);
    expect(row.served).toEqual([]);
  });

  it('serves in the block order what its features record and merged values say, sent values included', () => {
    const { income: _, ...noIncome } = all;
    const row = run([noIncome], answer).out.rows[0];
    const names = Object.keys(row.features);
    expect(row.served).toEqual(names.map((n) => row.features[n].value));
    expect(row.served).toEqual(names.map((n) => row.values[n]));
    expect(row.features.income).toMatchObject({ value: 5, source: 'store' });
    expect(row.features.debt).toEqual({ value: 2, source: 'sent', age_ms: null });
  });
});
