import { describe, expect, it } from 'vitest';
import { type Analysis, type CheckResult, decideStep, judgeErrorRate, judgeP99, judgePredictionDrift, mergeFigures, type WindowFigures, type WindowVerdict } from './rollout-analysis.js';
import { judgeQuality } from './quality-check.js';

const A: Analysis = {
  max_error_rate_factor: 2,
  error_rate_max: 0.01,
  max_p99_factor: 1.5,
  p99_max_ms: 5,
  prediction_drift: true,
  auc: { min_labels: 4, margin: 0.02, confidence: 0.95, allow_estimate: false },
  failure_threshold: 2,
  label_timeout_s: 60,
  on_label_timeout: 'wait',
};

/** A histogram with every request in one latency bucket (bounds 1, 2, 5, 10, 20, 50, 100 ... ms). */
const latency = (bucket: number, n: number) => Array.from({ length: 14 }, (_, i) => (i === bucket ? n : 0));
const fig = (o: Partial<WindowFigures> = {}): WindowFigures => ({ requests: 100, errors: 0, latency_counts: latency(0, 100), judged: true, prediction_drifted: false, ...o });
const check = (c: CheckResult['check'], outcome: CheckResult['outcome']): CheckResult => ({ check: c, outcome, value: null, limit: null });
const win = (i: number, ...checks: CheckResult[]): WindowVerdict => ({ window_start: i * 10_000, window_end: (i + 1) * 10_000, checks });
const allPass = (i: number) => win(i, check('error_rate', 'pass'), check('latency_p99', 'pass'), check('auc', 'pass'));

describe('window checks', () => {
  it('fails an error rate above both the factor times the baseline and the absolute floor', () => {
    expect(judgeErrorRate(fig({ errors: 5 }), fig({ errors: 2 }), A).outcome).toBe('fail');
    expect(judgeErrorRate(fig({ errors: 4 }), fig({ errors: 2 }), A).outcome).toBe('pass');
    // Against a baseline without errors, only the floor counts.
    expect(judgeErrorRate(fig({ errors: 1 }), fig(), A).outcome).toBe('pass');
    expect(judgeErrorRate(fig({ errors: 2 }), fig(), A).outcome).toBe('fail');
  });

  it('cannot judge a window without candidate or baseline requests', () => {
    expect(judgeErrorRate(fig({ requests: 0, latency_counts: null }), fig(), A).outcome).toBe('unjudged');
    expect(judgeP99(fig(), null, A).outcome).toBe('unjudged');
  });

  it('fails a p99 above the factor times the baseline and above the floor', () => {
    expect(judgeP99(fig({ latency_counts: latency(5, 100) }), fig(), A).outcome).toBe('fail');
    // 1 ms against 2 ms buckets is inside the noise floor.
    expect(judgeP99(fig({ latency_counts: latency(1, 100) }), fig(), A).outcome).toBe('pass');
  });

  it('judges prediction drift as the monitor did, not at all without a score baseline, and not on too few rows', () => {
    expect(judgePredictionDrift(fig({ prediction_drifted: true })).outcome).toBe('fail');
    expect(judgePredictionDrift(fig({ prediction_drifted: null })).outcome).toBe('pass');
    expect(judgePredictionDrift(fig({ judged: false })).outcome).toBe('unjudged');
  });

  it("merges kept windows into one reference by adding counts and histograms", () => {
    const m = mergeFigures([fig({ errors: 1 }), fig({ errors: 3, latency_counts: latency(2, 100) })])!;
    expect(m.requests).toBe(200);
    expect(m.errors).toBe(4);
    expect(m.latency_counts![0] + m.latency_counts![2]).toBe(200);
  });
});

describe('the quality check', () => {
  const rows = (pairs: [number, string][]) => pairs.map(([score, truth]) => ({ score, truth, truth_value: null }));
  const good = rows([[0.9, '1'], [0.8, '1'], [0.7, '1'], [0.2, '0'], [0.1, '0'], [0.3, '0']]);
  it('holds below min_labels, and passes after the label timeout only when told to', () => {
    const few = rows([[0.9, '1'], [0.1, '0']]);
    expect(judgeQuality('binary_classification', few, good, A, 10)!.outcome).toBe('unjudged');
    expect(judgeQuality('binary_classification', few, good, A, 61)!.outcome).toBe('unjudged');
    expect(judgeQuality('binary_classification', few, good, { ...A, on_label_timeout: 'pass' }, 61)!.outcome).toBe('pass');
    expect(judgeQuality('binary_classification', few, good, { ...A, on_label_timeout: 'pass' }, 10)!.outcome).toBe('unjudged');
  });

  it('has no quality check for tasks without one or when the request asks for none', () => {
    expect(judgeQuality('tensor', good, good, A, 0)).toBeNull();
    expect(judgeQuality('binary_classification', good, good, { ...A, auc: null }, 0)).toBeNull();
  });
});

describe('the step decision', () => {
  it('advances once every check passed for the step duration without a gap', () => {
    expect(decideStep([allPass(0)], A, 20).decision).toBe('hold');
    expect(decideStep([allPass(0), allPass(1)], A, 20).decision).toBe('advance');
    // A missing window (no candidate traffic) breaks the run.
    expect(decideStep([allPass(0), allPass(2)], A, 20).decision).toBe('hold');
  });

  it('holds while a check cannot be judged, however long the others pass', () => {
    const w = (i: number) => win(i, check('error_rate', 'pass'), check('auc', 'unjudged'));
    expect(decideStep([w(0), w(1), w(2), w(3)], A, 20)).toMatchObject({ decision: 'hold' });
  });

  it('aborts when one check fails in failure_threshold judged windows in a row; unjudged windows do not break the run', () => {
    const fail = (i: number) => win(i, check('error_rate', 'pass'), check('auc', 'fail'));
    const unjudged = (i: number) => win(i, check('error_rate', 'pass'), check('auc', 'unjudged'));
    expect(decideStep([fail(0)], A, 20).decision).toBe('hold');
    expect(decideStep([fail(0), unjudged(1), fail(2)], A, 20)).toMatchObject({ decision: 'abort', check: 'auc' });
    expect(decideStep([fail(0), allPass(1), fail(2)], A, 20).decision).toBe('hold');
  });
});
