import { quantile } from '../monitoring/drift/latency-summary.js';

/**
 * The judgement of one rollout step, as pure functions: each monitor window
 * inside the step gets a verdict per check (pass, fail, or unjudged when the
 * figures to judge it are missing), and the step's verdicts decide whether
 * it holds, advances or aborts.
 */

export interface AucAnalysis {
  min_labels: number;
  margin: number;
  confidence: number;
  allow_estimate: boolean;
}

export interface Analysis {
  max_error_rate_factor: number;
  /** Absolute floor: an error rate at or below it never fails, whatever the factor says. */
  error_rate_max: number;
  max_p99_factor: number;
  /** Absolute floor for p99 (ms): the monitor's latency buckets are 1, 2, 5 ms, too coarse below it. */
  p99_max_ms: number;
  prediction_drift: boolean;
  /** Null: no quality check. */
  auc: AucAnalysis | null;
  failure_threshold: number;
  label_timeout_s: number;
  on_label_timeout: 'wait' | 'pass';
}

export type CheckName = 'error_rate' | 'latency_p99' | 'prediction_drift' | 'auc' | 'rmse';
export type Outcome = 'pass' | 'fail' | 'unjudged';

export interface CheckResult {
  check: CheckName;
  outcome: Outcome;
  /** The candidate's figure. */
  value: number | null;
  /** What it was held against (the baseline's figure times the factor, or the floor). */
  limit: number | null;
  note?: string;
  details?: Record<string, unknown>;
}

/** One series' kept figures for one window (a drift_checks row), or several merged. */
export interface WindowFigures {
  requests: number;
  errors: number;
  /** The window's latency histogram counts (LATENCY_BOUNDS_MS plus overflow); null without requests. */
  latency_counts: number[] | null;
  /** rows >= min_samples. */
  judged: boolean;
  /** Null when the version has no score baseline: the drift check does not apply. */
  prediction_drifted: boolean | null;
}

export interface WindowVerdict {
  window_start: number;
  window_end: number;
  checks: CheckResult[];
}

export type StepDecision =
  | { decision: 'hold'; reason: string }
  | { decision: 'advance'; reason: string }
  | { decision: 'abort'; reason: string; check: CheckName };

export function p99Of(f: WindowFigures): number | null {
  return f.latency_counts ? quantile(f.latency_counts, 0.99) : null;
}

/** Several windows as one: counts add, histograms add bucket by bucket (the 100% step's baseline reference). */
export function mergeFigures(list: readonly WindowFigures[]): WindowFigures | null {
  if (!list.length) return null;
  let counts: number[] | null = null;
  for (const f of list) {
    if (!f.latency_counts) continue;
    counts = counts ? counts.map((c, i) => c + (f.latency_counts![i] ?? 0)) : [...f.latency_counts];
  }
  return {
    requests: list.reduce((s, f) => s + f.requests, 0),
    errors: list.reduce((s, f) => s + f.errors, 0),
    latency_counts: counts,
    judged: list.every((f) => f.judged),
    prediction_drifted: list.some((f) => f.prediction_drifted === true),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function judgeErrorRate(candidate: WindowFigures, baseline: WindowFigures | null, a: Analysis): CheckResult {
  if (candidate.requests === 0) return { check: 'error_rate', outcome: 'unjudged', value: null, limit: null, note: 'no candidate requests' };
  const value = candidate.errors / candidate.requests;
  if (!baseline || baseline.requests === 0) return { check: 'error_rate', outcome: 'unjudged', value: round(value), limit: null, note: 'no baseline requests' };
  const limit = Math.max(a.max_error_rate_factor * (baseline.errors / baseline.requests), a.error_rate_max);
  return { check: 'error_rate', outcome: value > limit ? 'fail' : 'pass', value: round(value), limit: round(limit) };
}

export function judgeP99(candidate: WindowFigures, baseline: WindowFigures | null, a: Analysis): CheckResult {
  const value = p99Of(candidate);
  if (value === null) return { check: 'latency_p99', outcome: 'unjudged', value: null, limit: null, note: 'no candidate requests' };
  const base = baseline ? p99Of(baseline) : null;
  if (base === null) return { check: 'latency_p99', outcome: 'unjudged', value: round(value), limit: null, note: 'no baseline requests' };
  const limit = Math.max(a.max_p99_factor * base, a.p99_max_ms);
  return { check: 'latency_p99', outcome: value > limit ? 'fail' : 'pass', value: round(value), limit: round(limit), details: { baseline_p99_ms: round(base) } };
}

/** The candidate against its own baseline sketch, as the monitor judged the window. */
export function judgePredictionDrift(candidate: WindowFigures): CheckResult {
  if (candidate.prediction_drifted === null) return { check: 'prediction_drift', outcome: 'pass', value: null, limit: null, note: 'no score baseline: not applicable' };
  if (!candidate.judged) return { check: 'prediction_drift', outcome: 'unjudged', value: null, limit: null, note: 'fewer rows than min_samples' };
  return { check: 'prediction_drift', outcome: candidate.prediction_drifted ? 'fail' : 'pass', value: candidate.prediction_drifted ? 1 : 0, limit: 0 };
}

/** Every check of one window, in a fixed order; the quality check is computed by the caller (it reads labels). */
export function judgeWindow(candidate: WindowFigures, baseline: WindowFigures | null, a: Analysis, quality: CheckResult | null): CheckResult[] {
  const out = [judgeErrorRate(candidate, baseline, a), judgeP99(candidate, baseline, a)];
  if (a.prediction_drift) out.push(judgePredictionDrift(candidate));
  if (quality) out.push(quality);
  return out;
}

/**
 * A quality check that cannot be judged yet: it holds the step, unless the
 * labels are overdue (`label_timeout_s` after the step started) and the
 * request said to pass on the other checks then.
 */
export function unjudgedQuality(check: 'auc' | 'rmse', note: string, a: Analysis, stepAgeS: number, details?: Record<string, unknown>): CheckResult {
  if (stepAgeS >= a.label_timeout_s && a.on_label_timeout === 'pass') {
    return { check, outcome: 'pass', value: null, limit: null, note: `labels not in after ${a.label_timeout_s} s: passed on the other checks (${note})`, details };
  }
  return { check, outcome: 'unjudged', value: null, limit: null, note, details };
}

/**
 * The step's verdicts, oldest first, decide it. A check failing in
 * `failure_threshold` judged windows in a row (unjudged windows neither
 * break nor extend the run) aborts. The step advances once its latest
 * windows have all passed every check for `stepMinDurationS` without a gap.
 * Anything else holds.
 */
export function decideStep(windows: readonly WindowVerdict[], a: Analysis, stepMinDurationS: number): StepDecision {
  const streak = new Map<CheckName, number>();
  for (const w of windows) {
    for (const c of w.checks) {
      if (c.outcome === 'unjudged') continue;
      const n = c.outcome === 'fail' ? (streak.get(c.check) ?? 0) + 1 : 0;
      streak.set(c.check, n);
      if (n >= a.failure_threshold) {
        return { decision: 'abort', check: c.check, reason: `${c.check} failed in ${n} windows in a row${describe(c)}` };
      }
    }
  }
  let passedFrom: number | null = null;
  let passedTo = 0;
  for (const w of windows) {
    const ok = w.checks.every((c) => c.outcome === 'pass');
    if (!ok || (passedFrom !== null && w.window_start !== passedTo)) passedFrom = null;
    if (ok) {
      passedFrom ??= w.window_start;
      passedTo = w.window_end;
    }
  }
  if (passedFrom !== null && passedTo - passedFrom >= stepMinDurationS * 1000) {
    return { decision: 'advance', reason: `every check passed for ${(passedTo - passedFrom) / 1000} s` };
  }
  const last = windows[windows.length - 1];
  if (!last) return { decision: 'hold', reason: 'no monitor window of the step has been checked yet' };
  const waiting = last.checks.filter((c) => c.outcome !== 'pass').map((c) => `${c.check} ${c.outcome}${c.note ? ` (${c.note})` : ''}`);
  return { decision: 'hold', reason: waiting.length ? waiting.join('; ') : `checks passing for ${(passedTo - (passedFrom ?? passedTo)) / 1000} s of ${stepMinDurationS} s` };
}

function describe(c: CheckResult): string {
  if (c.value === null) return '';
  return `: ${c.value} against ${c.limit}${c.note ? ` (${c.note})` : ''}`;
}
