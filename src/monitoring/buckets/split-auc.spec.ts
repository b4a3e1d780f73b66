import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { delongUnpaired, delongUnpairedOf } from '../stats/delong.js';
import { rocAuc } from '../stats/roc-auc.js';
import { SeededRandom } from '../sketch/reservoir.js';
import { LABEL_BINS, labelBin, scoreBin } from './score-histograms.js';
import { aucOfGroups, groupsOfScores } from './split-auc.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const sk = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/reference/roc_auc.json'), 'utf8'));

function split(labels: readonly number[], scores: readonly number[]) {
  return {
    pos: Float64Array.from(scores.filter((_, i) => labels[i] === 1)),
    neg: Float64Array.from(scores.filter((_, i) => labels[i] === 0)),
  };
}

function sample(n: number, seed: number, ties = false) {
  const r = new SeededRandom(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = r.nextUint32() % 3 === 0 ? 1 : 0;
    let s = ((r.nextUint32() / 2 ** 32) ** 3 + y * 0.2) / 1.2;
    if (ties) s = Math.round(s * 50) / 50;
    labels.push(y);
    scores.push(s);
  }
  return { labels, scores };
}

describe('AUC from the scores of each class', () => {
  it("equals the rank AUC (scikit-learn's) with and without ties", () => {
    for (const ties of [false, true]) {
      const { labels, scores } = sample(5000, ties ? 3 : 4, ties);
      const { pos, neg } = split(labels, scores);
      const { p, n } = groupsOfScores(pos, neg);
      const got = aucOfGroups(p, n);
      expect(Math.abs(got.auc - rocAuc(labels, scores))).toBeLessThan(1e-12);
      expect(got.errorBound).toBe(0);
    }
  });

  it('matches the committed scikit-learn references', () => {
    const cases = sk.binary as { labels: number[]; scores: number[]; auc: number }[];
    expect(cases.length).toBeGreaterThan(3);
    for (const c of cases) {
      const { pos, neg } = split(c.labels, c.scores);
      const { p, n } = groupsOfScores(pos, neg);
      const got = aucOfGroups(p, n).auc;
      if (Number.isNaN(c.auc)) expect(got).toBeNaN();
      else expect(Math.abs(got - c.auc)).toBeLessThan(1e-12);
    }
  });

  it("gives DeLong's test the variance the placements give (pROC's arithmetic)", () => {
    const a = sample(3000, 7, true);
    const b = sample(2000, 8);
    const ref = delongUnpaired(a.labels, a.scores, b.labels, b.scores);
    const side = (d: { labels: number[]; scores: number[] }) => {
      const { pos, neg } = split(d.labels, d.scores);
      const { p, n } = groupsOfScores(pos, neg);
      return aucOfGroups(p, n);
    };
    const got = delongUnpairedOf(side(a), side(b));
    expect(Math.abs(got.pValue - ref.pValue)).toBeLessThan(1e-12);
    expect(Math.abs(got.ci[0] - ref.ci[0])).toBeLessThan(1e-12);
    expect(Math.abs(got.statistic - ref.statistic)).toBeLessThan(1e-9);
  });

  it('from labelled-score histograms stays within its error bound, which is small', () => {
    const { labels, scores } = sample(20_000, 11);
    const p = new Float64Array(LABEL_BINS);
    const n = new Float64Array(LABEL_BINS);
    labels.forEach((y, i) => (y === 1 ? p : n)[labelBin(scores[i])]++);
    const got = aucOfGroups(p, n, true);
    expect(Math.abs(got.auc - rocAuc(labels, scores))).toBeLessThanOrEqual(got.errorBound);
    expect(got.errorBound).toBeLessThan(1e-3);
  });

  it('bins are monotone in the score', () => {
    let last = -1;
    let ordered = true;
    for (let s = 0; s <= 1.0001; s += 1e-5) {
      const b = labelBin(s);
      ordered &&= b >= last && b < LABEL_BINS;
      last = b;
    }
    expect(ordered).toBe(true);
    expect(labelBin(0.5)).toBe(1 + 15 * 256);
    expect(scoreBin(0.9995)).toBe(999);
    expect(scoreBin(1)).toBe(999);
    expect(scoreBin(0.0004)).toBe(0);
    expect(scoreBin(Number.NaN)).toBe(-1);
  });
});
