import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBaselineUpload } from '../sketch/baseline-input.js';
import { buildBaselineSketch } from '../sketch/baseline-sketch.js';
import { buildLayout } from '../live/series-layout.js';
import { mergePartials } from '../live/window-merge.js';
import { WindowSketch } from '../live/window-sketch.js';
import { decideWindow } from './drift-decision.js';
import { resolvePolicy } from './monitoring-policy.js';

/**
 * The decision end to end through the live path: loan_default validation
 * rows as the baseline, 1,000 test rows as one window, fed as float32
 * row-major batches into two replicas' sketches and merged, as serving and
 * the flush do. The label stands in for the score here (the e2e suite
 * scores the rows with the real model).
 */
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.expected.json', import.meta.url), 'utf8'));
const spec = { featureNames: fixture.feature_names as string[], categorical: fixture.categorical_features as string[], labelColumn: 'label' };
function rows(part: string) {
  const r = parseBaselineUpload(readFileSync(new URL(`../../../test/fixtures/loan_default_xgb.${part}.csv`, import.meta.url)), spec);
  if (r.kind !== 'rows') throw new Error('expected rows');
  return r;
}
const valid = rows('valid');
const test = rows('test');
const baseline = buildBaselineSketch({ ...spec, columns: valid.columns, rowCount: valid.rowCount, prediction: { type: 'numeric', values: valid.labels! } });
const width = spec.featureNames.length;
const SHIFTED = ['income', 'loan_amount', 'interest_rate'];

function window(start: number, end: number, edit: (f: string, v: number, r: number) => number = (_f, v) => v) {
  const layout = buildLayout(spec.featureNames, baseline);
  const replicas = [new WindowSketch(layout, 0, 300_000, 1), new WindowSketch(layout, 0, 300_000, 2)];
  for (let r0 = start; r0 < end; r0 += 25) {
    const n = Math.min(25, end - r0);
    const data = new Float32Array(n * width);
    const answers = [];
    for (let i = 0; i < n; i++) {
      spec.featureNames.forEach((f, j) => (data[i * width + j] = edit(f, test.columns[j][r0 + i], r0 + i - start)));
      answers.push({ score: test.labels![r0 + i] });
    }
    replicas[(r0 / 25) % 2].observe(data, width, n, answers, 3);
  }
  return mergePartials(replicas.map((s) => s.toPartial()));
}

const policy = resolvePolicy({});
const halfStd = (f: string) => (baseline.features[f] as { std: number }).std / 2;

describe('the drift decision on loan_default windows', () => {
  it('flags nothing in unshifted windows of 1,000 test rows', () => {
    for (const start of [0, 1000, 2000, 3000, 4000, 5000]) {
      const v = decideWindow(window(start, start + 1000), baseline, policy);
      expect(v.judged).toBe(true);
      expect(v.rows).toBe(1000);
      expect(v.drifted_features).toEqual([]);
      expect(v.data_quality_failed).toEqual([]);
      expect(v.prediction_drifted).toBe(false);
    }
  });

  it('flags exactly the three features shifted by half a standard deviation', () => {
    const v = decideWindow(window(0, 1000, (f, x) => (SHIFTED.includes(f) ? x + halfStd(f) : x)), baseline, policy);
    expect([...v.drifted_features].sort()).toEqual([...SHIFTED].sort());
    for (const f of SHIFTED) {
      const r = v.features.find((x) => x.feature === f)!;
      expect(r.psi!).toBeGreaterThan(0.2);
      expect(r.ks_p_value!).toBeLessThan(1e-20);
      expect(r.thresholds.ks_alpha).toBeCloseTo(0.05 / 12, 12);
    }
  });

  it('flags 20% missing values in one feature as data quality, not drift', () => {
    const v = decideWindow(window(0, 1000, (f, x, r) => (f === 'age' && r % 5 === 0 ? NaN : x)), baseline, policy);
    expect(v.drifted_features).toEqual([]);
    expect(v.data_quality_failed).toEqual(['age']);
    const q = v.data_quality.find((x) => x.feature === 'age')!;
    expect(q.missing_rate).toBeCloseTo(0.2, 12);
    expect(q.violations).toEqual(['missing_rate']);
  });

  it('reports but does not judge a window below min_samples', () => {
    const v = decideWindow(window(0, 1000, (f, x) => (SHIFTED.includes(f) ? x + halfStd(f) : x)), baseline, resolvePolicy({ min_samples: 1001 }));
    expect(v.judged).toBe(false);
    expect(v.drifted_features).toEqual([]);
    expect(v.features.find((x) => x.feature === 'income')!.psi!).toBeGreaterThan(0.2);
  });

  it('counts unseen categories with their values and flags their rate', () => {
    const regionIdx = spec.featureNames.indexOf('region');
    expect(regionIdx).toBeGreaterThanOrEqual(0);
    const v = decideWindow(window(0, 1000, (f, x, r) => (f === 'region' && r < 30 ? 97 : x)), baseline, policy);
    const q = v.data_quality.find((x) => x.feature === 'region')!;
    expect(q.unseen_count).toBe(30);
    expect(q.unseen_rate).toBeCloseTo(0.03, 12);
    expect(q.unseen_top).toEqual([{ value: '97', count: 30 }]);
    expect(v.data_quality_failed).toEqual(['region']);
  });

  it('skips an ignored feature and uses a per-feature threshold', () => {
    const shifted = window(0, 1000, (f, x) => (SHIFTED.includes(f) ? x + halfStd(f) : x));
    const v = decideWindow(shifted, baseline, resolvePolicy({ features: { income: { ignore: true }, loan_amount: { method: 'psi', threshold: 5 } } }));
    expect(v.features.map((x) => x.feature)).not.toContain('income');
    expect(v.drifted_features).toEqual(['interest_rate']);
    expect(v.features.find((x) => x.feature === 'interest_rate')!.thresholds.ks_alpha).toBeCloseTo(0.05 / 11, 12);
  });

  it('carries each column\'s live counts on the baseline\'s bins, which add up to the rows with a value', () => {
    const v = decideWindow(window(0, 1000, (f, x, r) => (f === 'region' && r < 30 ? 97 : x)), baseline, policy);
    const income = v.features.find((x) => x.feature === 'income')!;
    const edges = (baseline.features.income as { edges: number[] }).edges;
    expect(income.live_counts).toHaveLength(edges.length + 1);
    expect((income.live_counts as number[]).reduce((a, b) => a + b, 0)).toBe(income.samples);
    const region = v.features.find((x) => x.feature === 'region')!.live_counts as Record<string, number>;
    expect(Object.keys(region).sort()).toEqual([...Object.keys((baseline.features.region as { frequencies: object }).frequencies), '(unseen)'].sort());
    expect(region['(unseen)']).toBe(30);
    expect(Object.values(region).reduce((a, b) => a + b, 0)).toBe(1000);
    expect((v.prediction!.live_counts as number[]).reduce((a, b) => a + b, 0)).toBe(1000);
  });
});
