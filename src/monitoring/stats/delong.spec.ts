import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalQuantile, normalSf, studentTQuantile, studentTSf } from './delong-distributions.js';
import { delongPaired, delongUnpaired } from './delong.js';
import { rocAuc } from './roc-auc.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
interface Case {
  name: string;
  paired: boolean;
  labels?: number[];
  labels1?: number[];
  labels2?: number[];
  scores1: number[];
  scores2: number[];
  auc1: number;
  auc2: number;
  statistic: number;
  df?: number;
  p_value: number;
  ci: [number, number];
}
const reference = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/reference/delong.json'), 'utf8')) as { cases: Case[] };

describe("DeLong's test against R's pROC roc.test(method = 'delong')", () => {
  for (const c of reference.cases) {
    it(`matches pROC on ${c.name}`, () => {
      const r = c.paired ? delongPaired(c.labels!, c.scores1, c.scores2) : delongUnpaired(c.labels1!, c.scores1, c.labels2!, c.scores2);
      expect(r.auc1).toBeCloseTo(c.auc1, 12);
      expect(r.auc2).toBeCloseTo(c.auc2, 12);
      expect(r.statistic).toBeCloseTo(c.statistic, 9);
      if (!c.paired) expect(r.df).toBeCloseTo(c.df!, 6);
      expect(Math.abs(r.pValue - c.p_value)).toBeLessThan(1e-9);
      expect(r.ci[0]).toBeCloseTo(c.ci[0], 9);
      expect(r.ci[1]).toBeCloseTo(c.ci[1], 9);
    });
  }

  it('gives the same AUC as the Mann-Whitney AUC, ties counting one half', () => {
    const c = reference.cases.find((x) => x.name.includes('tied') && !x.paired)!;
    expect(delongUnpaired(c.labels1!, c.scores1, c.labels2!, c.scores2).auc1).toBeCloseTo(rocAuc(c.labels1!, c.scores1), 14);
  });

  it('finds no difference between a variant and itself', () => {
    const c = reference.cases[0];
    const r = delongUnpaired(c.labels1!, c.scores1, c.labels1!, c.scores1);
    expect(r.difference).toBe(0);
    expect(r.pValue).toBe(1);
    expect(r.ci[0]).toBeCloseTo(-r.ci[1], 12);
  });

  it('refuses a variant without two of each class', () => {
    expect(() => delongUnpaired([1, 0, 0], [0.9, 0.1, 0.2], [1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3])).toThrow(/two positives/);
  });
});

describe('normal and t tails', () => {
  it('agrees with textbook quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 14);
    // qt(0.975, 10) and pt(-2, 3.5) from R 4.2.
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 11);
    expect(studentTSf(2, 3.5)).toBeCloseTo(0.06306926128795674, 8);
    expect(studentTSf(-2, 3.5)).toBeCloseTo(1 - 0.06306926128795674, 8);
  });
});
