import { describe, expect, it } from 'vitest';
import { csvRecords, decodeFeatureRows, entityKey, FeatureRowError, featureViewSchema, isStale } from './feature-view.js';

const view = featureViewSchema.parse({
  name: 'customer_profile',
  entities: ['customer_id'],
  features: { income: 'float', age: 'int', segment: 'string', active: 'bool' },
  ttl_s: 86_400,
});
const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('feature view definitions', () => {
  it('refuses an entity key that is also a feature, and the reserved event_time', () => {
    expect(featureViewSchema.safeParse({ ...view, features: { ...view.features, customer_id: 'string' } }).success).toBe(false);
    expect(featureViewSchema.safeParse({ ...view, features: { event_time: 'int' } }).success).toBe(false);
  });

  it('refuses an unknown feature type and a view without features', () => {
    expect(featureViewSchema.safeParse({ ...view, features: { income: 'decimal' } }).success).toBe(false);
    expect(featureViewSchema.safeParse({ ...view, features: {} }).success).toBe(false);
  });
});

describe('decoding rows for a view', () => {
  it('reads typed JSON rows, stringifies numeric entity ids and stores absent features as missing', () => {
    const rows = decodeFeatureRows(view, [{ customer_id: 42, income: 5000.5, age: 41, event_time: '2026-12-07T10:00:00Z' }], NOW);
    expect(rows).toEqual([
      { entity: '42', values: { income: 5000.5, age: 41, segment: null, active: null }, eventTime: Date.parse('2026-12-07T10:00:00Z') },
    ]);
  });

  it('reads CSV text with types, empty cells as missing and epoch-millisecond event times', () => {
    const records = csvRecords(['customer_id', 'income', 'age', 'segment', 'active', 'event_time'], [['c-1', '12.5', '30', '', 'true', '1700000000000']]);
    expect(decodeFeatureRows(view, records, NOW, true)[0]).toEqual({
      entity: 'c-1',
      values: { income: 12.5, age: 30, segment: null, active: true },
      eventTime: 1_700_000_000_000,
    });
  });

  it('takes the time of the write when a row has no event time', () => {
    expect(decodeFeatureRows(view, [{ customer_id: 'c' }], NOW)[0].eventTime).toBe(NOW);
  });

  it.each([
    [{ customer_id: 'c', income: 'rich' }, 'income'],
    [{ customer_id: 'c', age: 41.5 }, 'age'],
    [{ customer_id: 'c', debt: 3 }, 'debt'],
    [{ income: 3 }, 'customer_id'],
    [{ customer_id: '' }, 'customer_id'],
    [{ customer_id: 'c', event_time: 'yesterday' }, 'event_time'],
  ])('refuses %j naming %s', (row, field) => {
    let err: unknown;
    try {
      decodeFeatureRows(view, [{ customer_id: 'ok' }, row], NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FeatureRowError);
    expect((err as FeatureRowError).field).toBe(field);
    expect((err as FeatureRowError).row).toBe(1);
  });

  it('keys an entity of several ids with a separator no printable id holds', () => {
    expect(entityKey(['a', 'b'])).toBe('a\u001fb');
    expect(entityKey(['a'])).toBe('a');
  });

  it('calls a value stale once it is older than the view time to live', () => {
    expect(isStale(view, NOW - 86_400_000, NOW)).toBe(false);
    expect(isStale(view, NOW - 86_400_001, NOW)).toBe(true);
  });
});
