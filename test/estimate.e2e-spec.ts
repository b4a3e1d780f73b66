import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimatePerformance } from '../src/monitoring/estimate/cbpe.js';
import { scoreHistogram } from '../src/monitoring/estimate/score-histogram.js';
import { VersionBaselines } from '../src/monitoring/live/version-baselines.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel, fixture, fixtureBytes, uploadOk } from './support/registry.js';

/**
 * Calibration is computed at upload from the labelled baseline, stored with
 * the version and read back for CBPE: the loan fixture's validation rows
 * scored by the service itself give the same calibration error as NumPy
 * (test/reference/cbpe.json), and estimates from the stored calibration
 * cover the realised AUC of the test rows.
 */
const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
const metadata = { feature_names: expected.feature_names, categorical_features: expected.categorical_features };
const ref = JSON.parse(readFileSync(new URL('./reference/cbpe.json', import.meta.url), 'utf8'));

/** The validation CSV with every label flipped: the scores stay, so they are as miscalibrated as can be. */
function flippedBaseline(): Buffer {
  const [header, ...lines] = fixtureBytes('loan_default_xgb.valid.csv').toString('utf8').trim().split('\n');
  const at = header.split(',').indexOf('label');
  const flipped = lines.map((l) => {
    const v = l.split(',');
    v[at] = String(1 - Number(v[at]));
    return v.join(',');
  });
  return Buffer.from([header, ...flipped].join('\n') + '\n');
}

describe('version calibration for estimates', () => {
  let db: TestDatabase;
  let t: TestApp;
  let store: VersionBaselines;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    store = t.app.get(VersionBaselines);
    await createModel(t, 'loan');
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('computes the calibration of a labelled binary baseline at upload, reports its error on the version and keeps the histogram', async () => {
    const v = await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), baseline: fixture('loan_default_xgb.valid.csv'), metadata });
    expect(v.calibration_error).toBeCloseTo(ref.baseline.ece, 6);
    const calibration = await store.calibration('loan', v.version);
    expect(calibration).toMatchObject({ bins: 1000, rows: 6000, positives: ref.baseline.positives });
    const all = ref.windows.find((w: { name: string }) => w.name === 'all');
    const estimate = estimatePerformance(calibration, scoreHistogram(expected.p1), { maxEce: t.config.monitoring.cbpeMaxEce });
    expect(estimate.estimated).toBe(true);
    if (!estimate.estimated) return;
    expect(all.realised.auc).toBeGreaterThanOrEqual(estimate.estimated_auc!.low);
    expect(all.realised.auc).toBeLessThanOrEqual(estimate.estimated_auc!.high);
  });

  it('stores a calibration that refuses estimates when the baseline labels contradict the scores', async () => {
    const v = await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), baseline: flippedBaseline(), metadata });
    expect(v.calibration_error).toBeGreaterThan(0.5);
    const estimate = estimatePerformance(await store.calibration('loan', v.version), scoreHistogram(expected.p1));
    expect(estimate).toMatchObject({ estimated: false, reason: 'poorly_calibrated' });
  });

  it('keeps no calibration without a baseline, and says so when asked for an estimate', async () => {
    const v = await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), metadata });
    expect(v.calibration_error).toBeNull();
    expect(await store.calibration('loan', v.version)).toBeNull();
    expect(await store.calibration('loan', 99)).toBeUndefined();
    expect(estimatePerformance(null, scoreHistogram(expected.p1))).toMatchObject({ estimated: false, reason: 'no_calibration' });
  });
});
