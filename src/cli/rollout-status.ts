import { table } from './table.js';

/**
 * `modelgate rollout status` as text: where the rollout stands, a table of
 * its steps, and a table of the checks of the latest judged window. Pure,
 * unit-tested beside this file.
 */
export function rolloutStatusText(r: any): string {
  const head = [
    `rollout ${r.id} of ${r.model}: ${r.state}${r.state_reason ? ` (${r.state_reason})` : ''}`,
    `candidate version ${r.candidate_version}${String(r.candidate) !== String(r.candidate_version) ? ` (${r.candidate})` : ''} against baseline version ${r.baseline_version}; ${r.current_weight}% to the candidate`,
  ];
  const steps = table(
    ['step', 'weight', 'status', 'started', 'ended', 'windows', 'passed'],
    r.steps.map((s: any) => [s.step, `${s.weight}%`, s.status, s.started_at, s.ended_at, s.windows?.length ?? '-', s.windows ? s.windows.filter((w: any) => w.passed).length : '-']),
  );
  const judged = r.steps.filter((s: any) => s.windows?.length);
  const last = judged[judged.length - 1];
  if (!last) return [...head, '', steps, '', 'no window judged yet'].join('\n');
  const w = last.windows[last.windows.length - 1];
  const checks = table(
    ['check', 'outcome', 'value', 'limit', 'note'],
    w.checks.map((c: any) => [c.check, c.outcome, c.value, c.limit, c.note]),
  );
  return [...head, '', steps, '', `checks of step ${last.step}, window ${w.window_start} to ${w.window_end}:`, checks].join('\n');
}
