import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { delongUnpaired } from '../monitoring/stats/delong.js';
import { aucNonInferior, squaredErrorNonInferior } from './noninferiority.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const welch = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/reference/welch.json'), 'utf8')) as {
  cases: { name: string; a: number[]; b: number[]; statistic: number; df: number; upper95: number }[];
};

/** A deterministic sample whose scores separate the classes by `gap`. */
function sample(n: number, gap: number, seed: number) {
  // mulberry32
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    labels.push(y);
    scores.push(rand() + y * gap);
  }
  return { labels, scores };
}

describe('AUC non-inferiority by DeLong', () => {
  it('reads the lower one-sided bound at confidence c as the two-sided bound at 2c - 1', () => {
    const a = sample(400, 0.5, 1);
    const b = sample(400, 0.5, 2);
    const r = aucNonInferior(a, b, 0.02, 0.95);
    expect(r.bound).toBeCloseTo(delongUnpaired(a.labels, a.scores, b.labels, b.scores, 0.9).ci[0], 12);
  });

  it('passes a candidate as good as the baseline and fails one clearly worse', () => {
    expect(aucNonInferior(sample(2000, 0.5, 3), sample(2000, 0.5, 4), 0.02, 0.95).passed).toBe(true);
    const worse = aucNonInferior(sample(2000, 0.2, 5), sample(2000, 0.5, 6), 0.02, 0.95);
    expect(worse.passed).toBe(false);
    expect(worse.bound).toBeLessThan(-0.02);
  });

  it('does not pass a small sample whose interval is too wide to rule out the margin', () => {
    expect(aucNonInferior(sample(30, 0.5, 7), sample(30, 0.5, 8), 0.02, 0.95).passed).toBe(false);
  });
});

describe("RMSE non-inferiority by Welch's t test on squared errors", () => {
  for (const c of welch.cases) {
    it(`matches scipy's Welch statistic, degrees of freedom and one-sided bound on ${c.name}`, () => {
      const r = squaredErrorNonInferior(c.a, c.b, 0.1, 0.95);
      expect(r.statistic).toBeCloseTo(c.statistic, 9);
      expect(r.df).toBeCloseTo(c.df, 9);
      expect(r.bound).toBeCloseTo(c.upper95, 6);
    });
  }

  it('fails a candidate whose squared errors are clearly larger', () => {
    const bad = welch.cases.find((c) => c.name === 'much worse')!;
    expect(squaredErrorNonInferior(bad.a, bad.b, 0.1, 0.95).passed).toBe(false);
    const same = welch.cases.find((c) => c.name === 'equal')!;
    expect(squaredErrorNonInferior(same.a, same.a, 0.3, 0.95).passed).toBe(true);
  });
});
