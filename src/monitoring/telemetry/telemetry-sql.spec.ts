import { describe, expect, it } from 'vitest';
import type { PredictionRecord, ShadowRecord } from './telemetry-records.js';
import { predictionsStatement, shadowStatement, toJson } from './telemetry-sql.js';

const base: PredictionRecord = {
  id: '019abcde-0000-7000-8000-000000000001',
  model: 'credit',
  version: 4,
  variant: 'v4',
  protocol: 'v1',
  fallback: false,
  createdAt: 1_764_000_000_123,
  latencyMs: 1.25,
  score: 0.87,
  label: 1,
};

describe('predictionsStatement', () => {
  it('binds one array per column, in the order of the unnest() parameters', () => {
    const s = predictionsStatement([base, { ...base, id: 'x2', fallback: true, score: undefined, label: 'cat', outputs: { probabilities: { '0': 0.1 } }, inputs: { age: 41 }, lookedUp: true }]);
    expect(s.rows).toBe(2);
    expect(s.rejected).toBe(0);
    expect(s.params).toEqual([
      `{"${base.id}","x2"}`,
      '{"credit","credit"}',
      '{4,4}',
      '{"v4","v4"}',
      '{"v1","v1"}',
      '{false,true}',
      '{1764000000123,1764000000123}',
      '{1.25,1.25}',
      '{0.87,NULL}',
      '{"1","cat"}',
      '{"1":{"probabilities":{"0":0.1}}}',
      '{"1":{"age":41}}',
      '{0,1}',
    ]);
    expect(s.sql).toMatch(/^INSERT INTO predictions .*\nFROM unnest\(\$1::uuid\[\],/s);
    expect(s.sql).not.toMatch(/ON CONFLICT/);
    expect(s.retrySql).toBe(`${s.sql}\nON CONFLICT DO NOTHING`);
  });

  it('leaves out and counts records that have no JSON form or wrong types, keeping the rest', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const s = predictionsStatement([
      { ...base, outputs: 10n },
      { ...base, id: 'ok' },
      { ...base, inputs: cyclic },
      { ...base, version: 1.5 },
      { ...base, latencyMs: Number.NaN },
      undefined as unknown as PredictionRecord,
    ]);
    expect(s.rows).toBe(1);
    expect(s.rejected).toBe(5);
    expect(s.params[0]).toBe('{"ok"}');
    expect(s.params[8]).toBe('{0.87}');
  });

  it('leaves a row without outputs beyond score and label out of the sparse JSON (SQL NULL)', () => {
    const s = predictionsStatement([{ ...base, outputs: undefined }]);
    expect(s.params[10]).toBe('{}');
  });
});

describe('shadowStatement', () => {
  it('binds a shadow error without outputs as text and SQL NULL', () => {
    const r: ShadowRecord = { predictionId: base.id, model: 'credit', version: 5, createdAt: 1, latencyMs: 3, error: 'timeout' };
    const s = shadowStatement([r, { ...r, version: 6, error: undefined, score: 0.4, label: 0, outputs: [0.1], lookedUp: true }]);
    expect(s.rows).toBe(2);
    expect(s.params).toEqual([
      `{"${base.id}","${base.id}"}`,
      '{"credit","credit"}',
      '{5,6}',
      '{1,1}',
      '{3,3}',
      '{NULL,0.4}',
      '{NULL,"0"}',
      '{"1":[0.1]}',
      '{"timeout",NULL}',
      '{0,1}',
    ]);
    expect(s.sql).toMatch(/^INSERT INTO shadow_predictions/);
  });
});

describe('toJson', () => {
  it('replaces U+0000, which PostgreSQL text and jsonb refuse, in values and keys', () => {
    const json = toJson({ ['k\u0000']: ['a\u0000b', 1], plain: 'x' });
    expect(json).not.toContain('\\u0000');
    expect(JSON.parse(json!)).toEqual({ 'k\uFFFD': ['a\uFFFDb', 1], plain: 'x' });
  });

  it('leaves an escaped backslash followed by "u0000" as it was', () => {
    const value = { s: '\\u0000' };
    expect(JSON.parse(toJson(value)!)).toEqual(value);
  });

  it('answers null for a value with no JSON form', () => {
    expect(toJson(undefined)).toBeNull();
    expect(toJson(() => 1)).toBeNull();
  });
});
