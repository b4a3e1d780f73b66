import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../sketch/csv.js';
import { rocAuc, rocAucOvr } from './roc-auc.js';

const ref = JSON.parse(readFileSync(new URL('../../../test/reference/roc_auc.json', import.meta.url), 'utf8')) as {
  binary: { name: string; labels: number[]; scores: number[]; auc: number }[];
  loan_default_test: { auc: number; expected_json_test_auc: number };
  multiclass_ovr: { classes: number; labels: number[]; scores: number[]; auc: number; per_class: number[] }[];
};

describe('rocAuc', () => {
  it.each(ref.binary)('matches sklearn roc_auc_score with $name', (c) => {
    expect(rocAuc(c.labels, c.scores)).toBeCloseTo(c.auc, 12);
  });

  it("reproduces the loan_default model's test AUC from its fixture scores", () => {
    const { header, rows } = parseCsv(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.test.csv', import.meta.url)));
    const expected = JSON.parse(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.expected.json', import.meta.url), 'utf8'));
    const labelAt = header.indexOf('label');
    const labels = rows.map((r) => Number(r[labelAt]));
    const auc = rocAuc(labels, expected.p1);
    expect(auc).toBeCloseTo(ref.loan_default_test.auc, 12);
    expect(auc).toBeCloseTo(expected.test_auc, 6);
  });

  it('leaves out rows whose label is not known yet', () => {
    expect(rocAuc([0, 1, NaN, 1], [0.1, 0.9, 0.5, 0.8])).toBe(1);
  });

  it('is undefined with a single class present', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it('refuses labels other than 0 and 1', () => {
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(RangeError);
  });
});

describe('rocAucOvr', () => {
  it.each(ref.multiclass_ovr)('matches sklearn roc_auc_score(multi_class="ovr") with $classes classes', (c) => {
    const r = rocAucOvr(c.labels, c.scores, c.classes);
    expect(r.auc).toBeCloseTo(c.auc, 12);
    r.perClass.forEach((v, i) => expect(v).toBeCloseTo(c.per_class[i], 12));
  });

  it('averages the classes present when one never occurs in the window', () => {
    const labels = [0, 1, 0, 1];
    const scores = [0.8, 0.1, 0.1, 0.3, 0.7, 0.0, 0.6, 0.2, 0.2, 0.2, 0.7, 0.1];
    const r = rocAucOvr(labels, scores, 3);
    expect(r.perClass[2]).toBeNaN();
    expect(r.auc).toBe((r.perClass[0] + r.perClass[1]) / 2);
  });

  it('refuses a label that is not a class index', () => {
    expect(() => rocAucOvr([0, 3], [0.5, 0.5, 0.5, 0.5], 2)).toThrow(RangeError);
  });
});
