import { describe, expect, it } from 'vitest';
import { explanationTensor } from './feature-explanation.js';

describe('explanationTensor', () => {
  it('gives row i the JSON of its features map, as /v1 answers it, in a BYTES [N] tensor', () => {
    const features = [
      { income: { value: 52000, source: 'store' as const, age_ms: 8123 }, debt: { value: 10, source: 'sent' as const, age_ms: null } },
      { income: { value: null, source: 'missing' as const, age_ms: null }, debt: { value: 0, source: 'default' as const, age_ms: null } },
    ];
    const t = explanationTensor(features.map((f, i) => ({ prediction_id: `p-${i}`, score: 0.5, features: f })))!;
    expect(t.type).toBe('string');
    expect(t.dims).toEqual([2]);
    expect((t.data as string[]).map((s) => JSON.parse(s))).toEqual(features);
  });

  it('gives nothing when the rows were not filled (a version without online features, or no entity inputs)', () => {
    expect(explanationTensor([{ prediction_id: 'p', score: 0.5 }])).toBeUndefined();
    expect(explanationTensor([])).toBeUndefined();
  });
});
