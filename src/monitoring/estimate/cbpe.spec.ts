import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../sketch/csv.js';
import { buildCalibration, type VersionCalibration } from './calibration.js';
import { estimatePerformance, type PerformanceEstimate } from './cbpe.js';
import { scoreHistogram } from './score-histogram.js';

const read = (rel: string) => readFileSync(new URL(`../../../${rel}`, import.meta.url));
/** Made by test/reference/make_cbpe_reference.py (NumPy, scikit-learn): realised figures and NumPy's CBPE per window. */
const ref = JSON.parse(read('test/reference/cbpe.json').toString('utf8')) as {
  baseline: { rows: number; positives: number; ece: number };
  windows: { name: string; rows: number[]; realised: { auc: number; accuracy: number; positive_rate: number }; numpy_cbpe: { auc: number; accuracy: number; positive_rate: number } }[];
};

function labelsOf(file: string): number[] {
  const { header, rows } = parseCsv(read(file));
  const at = header.indexOf('label');
  return rows.map((r) => Number(r[at]));
}

const validScores: number[] = JSON.parse(read('test/reference/loan_valid_scores.json').toString('utf8')).p1;
const testScores: number[] = JSON.parse(read('test/fixtures/loan_default_xgb.expected.json').toString('utf8')).p1;
const calibration = buildCalibration(validScores, labelsOf('test/fixtures/loan_default_xgb.valid.csv'))!;

function estimateOf(rows: number[]): PerformanceEstimate {
  const e = estimatePerformance(calibration, scoreHistogram(rows.map((i) => testScores[i])));
  if (!e.estimated) throw new Error(e.message);
  return e;
}
const inBand = (b: { low: number; high: number }, v: number) => v >= b.low && v <= b.high;
const window = (name: string) => ref.windows.find((w) => w.name === name)!;

describe('CBPE on the loan fixture (validation rows as baseline, test rows as traffic)', () => {
  it("measures the baseline's calibration error as NumPy does", () => {
    expect(calibration.rows).toBe(ref.baseline.rows);
    expect(calibration.positives).toBe(ref.baseline.positives);
    expect(calibration.ece).toBeCloseTo(ref.baseline.ece, 9);
    expect(calibration.ece).toBeLessThan(0.05);
  });

  it("puts the realised AUC, accuracy and positive rate of all unshifted traffic inside the estimate's band", () => {
    const w = window('all');
    const e = estimateOf(w.rows);
    expect(e.rows).toBe(6000);
    expect(inBand(e.estimated_auc!, w.realised.auc)).toBe(true);
    expect(inBand(e.estimated_positive_rate, w.realised.positive_rate)).toBe(true);
    expect(e.estimated_auc!.high - e.estimated_auc!.low).toBeLessThan(0.01);
  });

  it('covers the realised AUC of at least five of the six 1,000-prediction windows (a 95% band may miss one in twenty)', () => {
    const windows = ref.windows.filter((w) => w.name.startsWith('rows '));
    expect(windows).toHaveLength(6);
    const covered = windows.filter((w) => inBand(estimateOf(w.rows).estimated_auc!, w.realised.auc));
    expect(covered.length).toBeGreaterThanOrEqual(5);
  });

  it('widens the band as the window shrinks', () => {
    const all = estimateOf(window('all').rows).estimated_auc!;
    const one = estimateOf(window('rows 0-999').rows).estimated_auc!;
    expect(one.high - one.low).toBeGreaterThan(2 * (all.high - all.low));
  });

  it('falls on traffic whose labels shifted with its features, and the realised AUC lands inside the band', () => {
    const shifted = window('shifted: interest_rate top third');
    const before = estimateOf(window('all').rows).estimated_auc!;
    const after = estimateOf(shifted.rows).estimated_auc!;
    expect(shifted.realised.auc).toBeLessThan(window('all').realised.auc - 0.01);
    expect(after.high).toBeLessThan(before.low);
    expect(inBand(after, shifted.realised.auc)).toBe(true);
  });

  it("agrees with NumPy's CBPE on raw scores to the 1,000-bin histogram's resolution", () => {
    for (const w of ref.windows) {
      const e = estimateOf(w.rows);
      expect(Math.abs(e.estimated_auc!.value - w.numpy_cbpe.auc), w.name).toBeLessThan(1e-3);
      expect(Math.abs(e.estimated_accuracy.value - w.numpy_cbpe.accuracy), w.name).toBeLessThan(1e-3);
      expect(Math.abs(e.estimated_positive_rate.value - w.numpy_cbpe.positive_rate), w.name).toBeLessThan(1e-3);
    }
  });
});

describe('estimatePerformance refusals', () => {
  const hist = scoreHistogram([0.1, 0.9, 0.8]);

  it('refuses without a calibration', () => {
    expect(estimatePerformance(null, hist)).toMatchObject({ estimated: false, reason: 'no_calibration' });
  });

  it('refuses when the baseline calibration error is above the bar, and names both', () => {
    // Scores of 0.9 whose labels are positive half the time: error 0.4.
    const poor = buildCalibration([0.9, 0.9, 0.9, 0.9], [1, 0, 1, 0]) as VersionCalibration;
    expect(poor.ece).toBeCloseTo(0.4, 12);
    expect(estimatePerformance(poor, hist)).toMatchObject({ estimated: false, reason: 'poorly_calibrated', calibration_error: poor.ece, max_calibration_error: 0.05 });
    expect(estimatePerformance(poor, hist, { maxEce: 0.5 })).toMatchObject({ estimated: true });
  });

  it('refuses an empty window and gives no AUC when one class cannot be expected', () => {
    expect(estimatePerformance(calibration, new Float64Array(1000))).toMatchObject({ estimated: false, reason: 'empty_window' });
    const sure = estimatePerformance(calibration, scoreHistogram([0.9999, 0.9999]));
    expect(sure).toMatchObject({ estimated: true, estimated_auc: null });
  });
});

describe('buildCalibration', () => {
  it('leaves out rows without a label and refuses labels that are not 0 or 1', () => {
    expect(buildCalibration([0.2, 0.7], [NaN, 1])).toMatchObject({ rows: 1, positives: 1 });
    expect(buildCalibration([0.2, 0.7], [2, 1])).toBeUndefined();
    expect(buildCalibration([0.2], [NaN])).toBeUndefined();
  });
});
