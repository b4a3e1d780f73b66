import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../../common/errors.js';
import { answerOf, parseFeedbackBody, sameLabel } from './feedback-items.js';

const ID = '019bd000-0000-7000-8000-000000000001';

describe('feedback body', () => {
  it('reads one item or an array, labels as text the way predict answers write them', () => {
    expect(parseFeedbackBody({ prediction_id: ID.toUpperCase(), label: 1 }, 10)).toEqual([{ predictionId: ID, label: '1', value: null, outcomes: null }]);
    expect(parseFeedbackBody([{ prediction_id: ID, value: 2.5, outcomes: { revenue: 3 } }], 10)).toEqual([
      { predictionId: ID, label: null, value: 2.5, outcomes: { revenue: 3 } },
    ]);
  });

  it('names the field of the first malformed item', () => {
    const field = (body: unknown) => {
      try {
        parseFeedbackBody(body, 10);
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationFailed);
        return (err as ValidationFailed).details.field;
      }
      return undefined;
    };
    expect(field([{ prediction_id: ID, label: 1 }, { prediction_id: ID, label: 1, value: 1 }])).toBe('1.label');
    expect(field({ prediction_id: 7, label: 1 })).toBe('prediction_id');
    expect(field({ prediction_id: ID, value: Number.NaN })).toBe('value');
    expect(field({ prediction_id: ID })).toBe('label');
    expect(field({ prediction_id: ID, value: 'x' })).toBe('value');
    expect(field({ prediction_id: ID, label: 1, outcomes: [1] })).toBe('outcomes');
    expect(field('text')).toBe('body');
    expect(field([{ prediction_id: ID, label: 1 }, { prediction_id: ID, label: 2 }])).toBeUndefined();
  });

  it('refuses more items than the limit', () => {
    expect(() => parseFeedbackBody([{ prediction_id: ID, label: 1 }, { prediction_id: ID, label: 1 }], 1)).toThrow(/at most 1 items/);
  });

  it('compares labels and values but not outcomes', () => {
    const [a] = parseFeedbackBody({ prediction_id: ID, label: 1, outcomes: { x: 1 } }, 1);
    expect(sameLabel({ label: '1', value: null }, a)).toBe(true);
    expect(sameLabel({ label: '0', value: null }, a)).toBe(false);
    const [v] = parseFeedbackBody({ prediction_id: ID, value: 3 }, 1);
    expect(sameLabel({ label: null, value: 3 }, v)).toBe(true);
    expect(sameLabel({ label: null, value: 3.5 }, v)).toBe(false);
  });

  it('counts statuses in the answer', () => {
    expect(answerOf(['a', 'b', 'c'], ['accepted', 'conflict', 'accepted'])).toEqual({
      results: [
        { prediction_id: 'a', status: 'accepted' },
        { prediction_id: 'b', status: 'conflict' },
        { prediction_id: 'c', status: 'accepted' },
      ],
      accepted: 2,
      duplicate: 0,
      conflict: 1,
      not_found: 0,
    });
  });
});
