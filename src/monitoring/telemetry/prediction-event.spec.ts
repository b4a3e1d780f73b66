import { describe, expect, it } from 'vitest';
import { modelOfSubject, predictionEvent, predictionSubject } from './prediction-event.js';

describe('prediction subjects', () => {
  it('keeps a plain model name as one subject token', () => {
    expect(predictionSubject('credit-risk_2')).toBe('modelgate.predictions.credit-risk_2');
  });

  it('percent-encodes dots, wildcards, spaces, percent signs and non-ASCII so a name is never more than one token', () => {
    expect(predictionSubject('credit.v2')).toBe('modelgate.predictions.credit%2Ev2');
    expect(predictionSubject('a*b>c d%')).toBe('modelgate.predictions.a%2Ab%3Ec%20d%25');
    expect(predictionSubject('prêt')).toBe('modelgate.predictions.pr%C3%AAt');
    for (const name of ['credit.v2', 'a*b>c d%', 'prêt', 'loan']) expect(modelOfSubject(predictionSubject(name))).toBe(name);
  });
});

describe('predictionEvent', () => {
  const record = {
    id: '0193b5a0-0000-7000-8000-000000000001',
    model: 'loan.v2',
    version: 3,
    variant: 'production',
    protocol: 'v1' as const,
    fallback: false,
    createdAt: Date.UTC(2026, 11, 7, 12, 0, 0, 250),
    latencyMs: 1.5,
    score: 0.93,
    label: 1,
    inputs: { age: 41 },
  };

  it('carries the prediction as JSON data and its id, time and source as event attributes', () => {
    const e = predictionEvent(record)!;
    expect(e).toMatchObject({ id: record.id, subject: 'modelgate.predictions.loan%2Ev2', time: '2026-12-07T12:00:00.250Z', source: '/modelgate/models/loan.v2/versions/3' });
    expect(JSON.parse(Buffer.from(e.data).toString('utf8'))).toEqual({
      prediction_id: record.id,
      model: 'loan.v2',
      version: 3,
      variant: 'production',
      protocol: 'v1',
      fallback: false,
      created_at: '2026-12-07T12:00:00.250Z',
      latency_ms: 1.5,
      score: 0.93,
      label: 1,
      outputs: null,
      inputs: { age: 41 },
      feature_source: 'sent',
    });
    expect(JSON.parse(Buffer.from(predictionEvent({ ...record, lookedUp: true })!.data).toString('utf8')).feature_source).toBe('looked_up');
  });

  it('has no event for a record without a JSON form', () => {
    expect(predictionEvent({ ...record, outputs: { big: 1n } })).toBeUndefined();
  });
});
