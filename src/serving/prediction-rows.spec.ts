import { describe, expect, it } from 'vitest';
import { extraOutputs } from './prediction-rows.js';

describe('extraOutputs', () => {
  it('keeps nothing beyond score and label for a binary or regression row', () => {
    expect(extraOutputs({ label: 1, score: 0.9, probabilities: { '0': 0.1, '1': 0.9 } }, false)).toBeUndefined();
    expect(extraOutputs({ value: 151.2 }, false)).toBeUndefined();
  });

  it('keeps multiclass probabilities and extra outputs', () => {
    expect(extraOutputs({ label: 2, probabilities: { '0': 0.1, '1': 0.2, '2': 0.7 } }, true)).toEqual({
      probabilities: { '0': 0.1, '1': 0.2, '2': 0.7 },
    });
    expect(extraOutputs({ value: 3, outputs: { embedding: [1, 2] } }, false)).toEqual({ outputs: { embedding: [1, 2] } });
  });
});
