import type { CheckOutcome, RolloutAction, RolloutCheck, RolloutState } from './api/release-types.js';

/** A check's outcome in words: a check that cannot be judged holds the step. */
export function verdict(outcome: CheckOutcome): 'pass' | 'fail' | 'hold' {
  return outcome === 'unjudged' ? 'hold' : outcome;
}

const CHECK_NAMES: Record<string, string> = {
  error_rate: 'Error rate',
  latency_p99: 'Latency p99',
  prediction_drift: 'Prediction drift',
  auc: 'AUC (DeLong)',
  rmse: 'RMSE (Welch)',
};
export const checkName = (check: string) => CHECK_NAMES[check] ?? check;

const num = (x: unknown, digits = 4) => (typeof x === 'number' && Number.isFinite(x) ? String(Number(x.toFixed(digits))) : null);

/** What a check measured against what it was held to, in one line a reader can check. */
export function checkFigures(c: RolloutCheck): string {
  const d = c.details ?? {};
  switch (c.check) {
    case 'error_rate':
      return c.value === null ? '—' : `${num(c.value)} (limit ${num(c.limit) ?? '—'})`;
    case 'latency_p99':
      return c.value === null ? '—' : `${num(c.value, 1)} ms (limit ${num(c.limit, 1) ?? '—'} ms)`;
    case 'prediction_drift':
      return c.value === null ? (c.outcome === 'pass' ? 'no baseline or not drifted' : '—') : c.value ? 'drifted' : 'not drifted';
    case 'auc': {
      const parts = [
        num(d.candidate_auc) && `candidate ${num(d.candidate_auc)}`,
        num(d.baseline_auc) && `baseline ${num(d.baseline_auc)}`,
        num(d.lower_bound) && `lower bound of the difference ${num(d.lower_bound)}`,
        num(c.limit) && `must exceed ${num(c.limit)}`,
      ].filter(Boolean);
      return parts.length ? parts.join(', ') : '—';
    }
    case 'rmse': {
      const parts = [num(d.candidate_rmse) && `candidate ${num(d.candidate_rmse)}`, num(d.baseline_rmse) && `baseline ${num(d.baseline_rmse)}`, num(d.upper_bound) && `upper bound ${num(d.upper_bound)}`].filter(Boolean);
      return parts.length ? parts.join(', ') : '—';
    }
    default:
      return c.value === null ? '—' : `${num(c.value)}${c.limit !== null ? ` (limit ${num(c.limit)})` : ''}`;
  }
}

/** Which operator actions a rollout in this state accepts (docs/rollouts.md). */
export function actionsFor(state: RolloutState): RolloutAction[] {
  switch (state) {
    case 'pending':
    case 'running':
      return ['pause', 'abort', 'promote'];
    case 'paused':
      return ['resume', 'abort', 'promote'];
    default:
      return [];
  }
}

/** The registry's event families, for the events filter: `alias.*` matches alias.moved and alias.deleted. */
export const EVENT_FAMILIES = ['model.*', 'version.*', 'alias.*', 'traffic.*', 'rollback', 'rollout.*', 'gate.*', 'approval.*'] as const;

/** An event's data in a short line: `alias production: 4 → 5 (revision 13)`, or its keys. */
export function eventSummary(data: Record<string, unknown>): string {
  if ('from' in data || 'to' in data) {
    const what = typeof data.alias === 'string' ? `alias ${data.alias}: ` : '';
    const rev = data.revision !== undefined ? ` (revision ${String(data.revision)})` : '';
    return `${what}${String(data.from ?? '—')} → ${String(data.to ?? '—')}${rev}`;
  }
  return Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
}
