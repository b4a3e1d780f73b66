import { describe, expect, it } from 'vitest';
import { buildCalibration } from '../../monitoring/estimate/calibration.js';
import { scoreHistogram } from '../../monitoring/estimate/score-histogram.js';
import { alertPolicy } from './alert-policy.js';
import { judgeEstimatedAuc } from './estimated-auc.js';

/** Deterministic scores spread over (0, 1), with labels drawn as the scores say: a calibrated baseline. */
function calibratedScores(n: number, squeeze = 1): { scores: number[]; labels: number[] } {
  const scores: number[] = [];
  const labels: number[] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < n; i++) {
    const s = 0.5 + (rand() - 0.5) * squeeze;
    scores.push(s);
    labels.push(rand() < s ? 1 : 0);
  }
  return { scores, labels };
}

const base = calibratedScores(20_000);
const calibration = buildCalibration(base.scores, base.labels)!;
/** Scores near 0 and 1: the model is sure, the estimated AUC high. */
const confident = scoreHistogram(Array.from({ length: 2000 }, (_, i) => (i % 2 ? 0.02 + (i % 50) / 2000 : 0.98 - (i % 50) / 2000)));
/** Scores bunched at 0.5: the estimate falls towards 0.5. */
const unsure = scoreHistogram(calibratedScores(2000, 0.2).scores);

describe('the estimated_auc rule', () => {
  it('is off by default', () => {
    const j = judgeEstimatedAuc(alertPolicy({}), { histogram: unsure, calibration, validationAuc: 0.9, maxEce: 0.05 });
    expect(j).toMatchObject({ judged: false, active: false });
    expect(alertPolicy({}).severity.estimated_auc).toBe('warning');
  });

  it('fires when the whole band of the estimate is under estimated_auc_min, from the window histogram alone', () => {
    const p = alertPolicy({ estimated_auc_min: 0.8 });
    const low = judgeEstimatedAuc(p, { histogram: unsure, calibration, validationAuc: null, maxEce: 0.05 });
    expect(low).toMatchObject({ judged: true, active: true, details: { estimated: true, bar: 0.8 } });
    expect((low.details.estimated_auc as { high: number }).high).toBeLessThan(0.8);
    expect(judgeEstimatedAuc(p, { histogram: confident, calibration, validationAuc: null, maxEce: 0.05 })).toMatchObject({ judged: true, active: false });
  });

  it('judges against the validation AUC minus estimated_auc_margin', () => {
    const p = alertPolicy({ estimated_auc_margin: 0.05 });
    expect(judgeEstimatedAuc(p, { histogram: unsure, calibration, validationAuc: 0.95, maxEce: 0.05 })).toMatchObject({ judged: true, active: true, details: { bar: 0.95 - 0.05 } });
    expect(judgeEstimatedAuc(p, { histogram: unsure, calibration, validationAuc: null, maxEce: 0.05 }).judged).toBe(false);
  });

  it('leaves the window unjudged when the version cannot be estimated', () => {
    const p = alertPolicy({ estimated_auc_min: 0.8 });
    expect(judgeEstimatedAuc(p, { histogram: unsure, calibration: null, validationAuc: null, maxEce: 0.05 })).toMatchObject({ judged: false, details: { reason: 'no_calibration' } });
    expect(judgeEstimatedAuc(p, { histogram: unsure, calibration, validationAuc: null, maxEce: 0 })).toMatchObject({ judged: false, details: { reason: 'poorly_calibrated' } });
  });
});
