import { describe, expect, it } from 'vitest';
import { rolloutStatusText } from './rollout-status.js';

const rollout = {
  id: 7,
  model: 'credit',
  candidate: 'staging',
  candidate_version: 5,
  baseline_version: 4,
  state: 'running',
  state_reason: null,
  current_weight: 25,
  steps: [
    { step: 1, weight: 5, status: 'passed', started_at: 't0', ended_at: 't1', windows: [{ window_start: 'a', window_end: 'b', passed: true, checks: [] }] },
    {
      step: 2,
      weight: 25,
      status: 'running',
      started_at: 't1',
      ended_at: null,
      windows: [
        {
          window_start: '2026-12-07T10:00:00.000Z',
          window_end: '2026-12-07T10:05:00.000Z',
          passed: false,
          checks: [
            { check: 'error_rate', outcome: 'pass', value: 0.001, limit: 0.01 },
            { check: 'auc', outcome: 'unjudged', value: null, limit: null, note: 'labels 40 and 900 of 200 (candidate, baseline)' },
          ],
        },
      ],
    },
    { step: 3, weight: 100, status: 'waiting', started_at: null, ended_at: null, windows: [] },
  ],
};

describe('rollout status as text', () => {
  it('shows where the rollout stands, a row per step and the checks of the latest judged window', () => {
    const text = rolloutStatusText(rollout);
    const lines = text.split('\n');
    expect(lines[0]).toBe('rollout 7 of credit: running');
    expect(lines[1]).toBe('candidate version 5 (staging) against baseline version 4; 25% to the candidate');
    expect(lines[3]).toMatch(/^STEP\s+WEIGHT\s+STATUS\s+STARTED\s+ENDED\s+WINDOWS\s+PASSED$/);
    expect(lines[5]).toMatch(/^2\s+25%\s+running\s+t1\s+-\s+1\s+0$/);
    expect(text).toContain('checks of step 2, window 2026-12-07T10:00:00.000Z to 2026-12-07T10:05:00.000Z:');
    expect(text).toMatch(/auc\s+unjudged\s+-\s+-\s+labels 40 and 900 of 200/);
  });

  it('says so when no window has been judged yet', () => {
    const fresh = { ...rollout, steps: rollout.steps.map((s) => ({ ...s, windows: [] })) };
    expect(rolloutStatusText(fresh).split('\n').pop()).toBe('no window judged yet');
  });
});
