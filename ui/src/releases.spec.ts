import { describe, expect, it } from 'vitest';
import type { KeySelf } from './api/types.js';
import { approveRefusal } from './permissions.js';
import { actionsFor, checkFigures, eventSummary, verdict } from './releases.js';
import { match } from './router.js';

const key = (scopes: KeySelf['scopes']): KeySelf => ({ id: 'k', name: 'ops', scopes, models: null });

describe("the console's release pages' own logic", () => {
  it('says a check that cannot be judged holds the step', () => {
    expect(['pass', 'fail', 'unjudged'].map((o) => verdict(o as 'pass'))).toEqual(['pass', 'fail', 'hold']);
  });

  it("shows the AUC check's DeLong lower bound beside both AUCs, and p99 in milliseconds", () => {
    const auc = { check: 'auc', outcome: 'pass' as const, value: 0.81, limit: -0.02, details: { candidate_auc: 0.81, baseline_auc: 0.8, lower_bound: -0.0123456 } };
    expect(checkFigures(auc)).toBe('candidate 0.81, baseline 0.8, lower bound of the difference -0.0123, must exceed -0.02');
    expect(checkFigures({ check: 'latency_p99', outcome: 'fail', value: 7.5, limit: 5 })).toBe('7.5 ms (limit 5 ms)');
    expect(checkFigures({ check: 'prediction_drift', outcome: 'fail', value: 1, limit: 0 })).toBe('drifted');
    expect(checkFigures({ check: 'error_rate', outcome: 'unjudged', value: null, limit: null })).toBe('—');
  });

  it('offers only the actions a rollout in its state accepts', () => {
    expect(actionsFor('running')).toEqual(['pause', 'abort', 'promote']);
    expect(actionsFor('paused')).toEqual(['resume', 'abort', 'promote']);
    expect(actionsFor('completed')).toEqual([]);
  });

  it('lets only a key holding approve itself decide: admin is refused as the service refuses it', () => {
    expect(approveRefusal(key(['approve', 'registry:read']))).toBeNull();
    expect(approveRefusal(key(['admin']))).toBe('Needs the approve scope held by the key itself (admin does not count); your key “ops” holds admin.');
  });

  it('routes the release tabs and summarises an alias move', () => {
    expect(match('/ui/models/credit%2Fv/rollouts')).toEqual({ page: 'rollouts', name: 'credit/v' });
    expect(match('/ui/models/credit/approvals/')).toEqual({ page: 'approvals', name: 'credit' });
    expect(match('/ui/models/credit/events')).toEqual({ page: 'events', name: 'credit' });
    expect(eventSummary({ alias: 'production', from: 4, to: 5, revision: 13 })).toBe('alias production: 4 → 5 (revision 13)');
    expect(eventSummary({ step: 2, weight: 50, nested: { a: 1 } })).toBe('step: 2, weight: 50');
  });
});
