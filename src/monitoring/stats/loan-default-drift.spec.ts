import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBaselineUpload } from '../sketch/baseline-input.js';
import { buildBaselineSketch } from '../sketch/baseline-sketch.js';
import { binCounts } from '../sketch/bins.js';
import { buildCategoricalSketch, type CategoricalSketch } from '../sketch/categorical-sketch.js';
import type { NumericSketch } from '../sketch/numeric-sketch.js';
import { alignCategories, chiSquareAgainstBaseline } from './chi-square.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import { ks2sampSorted } from './ks-test.js';
import { psiOnBaselineBins } from './psi.js';

/**
 * PRODUCT.md's drift numbers, end to end through the sketch format: the
 * loan_default validation rows as the baseline, six 1,000-row windows of
 * its test rows as live traffic, unshifted and with each numeric feature
 * shifted by half its baseline standard deviation.
 */
interface NumericRow {
  psi: number;
  ks_statistic: number;
  ks_pvalue: number;
}
interface CategoricalRow {
  chi2_statistic: number;
  chi2_pvalue: number;
  js_distance: number;
}
const ref = JSON.parse(readFileSync(new URL('../../../test/reference/loan_default.json', import.meta.url), 'utf8')) as {
  windows: [number, number][];
  numeric: string[];
  categorical: string[];
  half_std: Record<string, number>;
  unshifted: Record<string, NumericRow & CategoricalRow>[];
  shifted_by_half_std: Record<string, NumericRow>[];
};
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.expected.json', import.meta.url), 'utf8'));
const spec = { featureNames: fixture.feature_names as string[], categorical: fixture.categorical_features as string[], labelColumn: 'label' };

function rows(part: string) {
  const r = parseBaselineUpload(readFileSync(new URL(`../../../test/fixtures/loan_default_xgb.${part}.csv`, import.meta.url)), spec);
  if (r.kind !== 'rows') throw new Error('expected rows');
  return r;
}
const valid = rows('valid');
const test = rows('test');
const column = (name: string) => test.columns[spec.featureNames.indexOf(name)];

function baseline(sampleSize?: number) {
  return buildBaselineSketch({
    ...spec,
    columns: valid.columns,
    rowCount: valid.rowCount,
    // Feature drift only: the label stands in for the model's scores.
    prediction: { type: 'numeric', values: valid.labels! },
    sampleSize,
  });
}

function numericChecks(sketch: NumericSketch, live: Float64Array): NumericRow {
  const ks = ks2sampSorted(sketch.sample, live.slice().sort());
  return { psi: psiOnBaselineBins(sketch.counts, binCounts(sketch.edges, live)), ks_statistic: ks.statistic, ks_pvalue: ks.pvalue };
}

const shifted = (name: string, start: number, end: number) => column(name).slice(start, end).map((v) => v + ref.half_std[name]);

describe('drift statistics on the loan_default fixture', () => {
  // Every value in the sample: the KS test then sees what scipy saw.
  const full = baseline(6000);

  it('uses the baseline standard deviation the reference shifted by', () => {
    for (const f of ref.numeric) expect((full.features[f] as NumericSketch).std / 2).toBeCloseTo(ref.half_std[f], 9);
  });

  it.each(ref.windows.map((w, i) => [i, w] as const))('matches numpy and scipy in unshifted window %i', (i, [start, end]) => {
    for (const f of ref.numeric) {
      const got = numericChecks(full.features[f] as NumericSketch, column(f).slice(start, end));
      const want = ref.unshifted[i][f];
      expect(got.psi).toBeCloseTo(want.psi, 12);
      expect(got.ks_statistic).toBeCloseTo(want.ks_statistic, 14);
      expect(Math.abs(got.ks_pvalue - want.ks_pvalue)).toBeLessThanOrEqual(1e-6 * want.ks_pvalue);
    }
    for (const f of ref.categorical) {
      const base = (full.features[f] as CategoricalSketch).frequencies;
      const live = buildCategoricalSketch(column(f).slice(start, end)).frequencies;
      const chi = chiSquareAgainstBaseline(base, live);
      const aligned = alignCategories(base, live);
      expect(chi.statistic).toBeCloseTo(ref.unshifted[i][f].chi2_statistic, 10);
      expect(Math.abs(chi.pvalue - ref.unshifted[i][f].chi2_pvalue)).toBeLessThanOrEqual(1e-9 * ref.unshifted[i][f].chi2_pvalue);
      expect(jensenShannonDistance(aligned.baseline, aligned.live)).toBeCloseTo(ref.unshifted[i][f].js_distance, 12);
    }
  });

  it.each(ref.windows.map((w, i) => [i, w] as const))('matches numpy and scipy in window %i shifted by half a standard deviation', (i, [start, end]) => {
    for (const f of ref.numeric) {
      const got = numericChecks(full.features[f] as NumericSketch, shifted(f, start, end));
      const want = ref.shifted_by_half_std[i][f];
      expect(got.psi).toBeCloseTo(want.psi, 12);
      expect(got.ks_statistic).toBeCloseTo(want.ks_statistic, 14);
      expect(Math.abs(got.ks_pvalue - want.ks_pvalue)).toBeLessThanOrEqual(1e-6 * want.ks_pvalue);
    }
  });

  it('reproduces PRODUCT.md: unshifted windows peak at PSI 0.027 and alarm on KS only without the Bonferroni correction', () => {
    const features = spec.featureNames.length;
    const windows = ref.windows.map(([start, end]) => ref.numeric.map((f) => numericChecks(full.features[f] as NumericSketch, column(f).slice(start, end))));
    const maxPsi = Math.max(...windows.flat().map((r) => r.psi));
    expect(maxPsi).toBeGreaterThan(0.026);
    expect(maxPsi).toBeLessThan(0.028);
    expect(windows.filter((w) => w.some((r) => r.ks_pvalue < 0.05))).toHaveLength(2);
    expect(windows.filter((w) => w.some((r) => r.ks_pvalue < 0.05 / features))).toHaveLength(0);
  });

  it('reproduces PRODUCT.md: three features shifted by half a standard deviation give PSI 0.25 to 0.28 and KS p below 1e-33', () => {
    for (const f of ['income', 'loan_amount', 'interest_rate']) {
      const r = numericChecks(full.features[f] as NumericSketch, shifted(f, 0, 1000));
      expect(r.psi).toBeGreaterThanOrEqual(0.245);
      expect(r.psi).toBeLessThanOrEqual(0.285);
      expect(r.ks_pvalue).toBeLessThan(1e-33);
    }
  });

  it('reaches the same drift decisions from the stored 5,000-value sample', () => {
    const sketch = baseline();
    const features = spec.featureNames.length;
    const drifted = (r: NumericRow) => r.psi >= 0.2 || (r.ks_pvalue < 0.05 / features && r.ks_statistic >= 0.1);
    for (const [start, end] of ref.windows) {
      for (const f of ref.numeric) {
        const s = sketch.features[f] as NumericSketch;
        expect(s.sample).toHaveLength(5000);
        expect(drifted(numericChecks(s, column(f).slice(start, end)))).toBe(false);
        expect(drifted(numericChecks(s, shifted(f, start, end)))).toBe(true);
      }
    }
  });
});
