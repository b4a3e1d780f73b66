import type { RolloutRow, StoredWindow } from './rollouts.store.js';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * A rollout as the API answers it: its request, where it is, and per step
 * its weight, its runs (a resumed step runs again) and, for one rollout,
 * every judged window with each check's outcome.
 */
export function rolloutView(r: RolloutRow, windows: StoredWindow[] | null) {
  const active = r.state === 'running' || r.state === 'paused' || r.state === 'pending';
  return {
    id: r.id,
    model: r.model_name,
    candidate: r.candidate_ref,
    candidate_version: r.candidate_version,
    baseline_version: r.baseline_version,
    state: r.state,
    state_reason: r.state_reason,
    reason: r.reason,
    current_step: r.state === 'pending' ? null : r.current_step + 1,
    current_weight: r.state === 'running' || r.state === 'paused' ? r.steps[r.current_step] : r.state === 'completed' ? 100 : 0,
    step_started_at: active ? iso(r.step_started_at) : null,
    step_min_duration_s: r.step_min_duration_s,
    analysis: r.analysis,
    revision_before: r.pre_revision,
    created_by: r.created_by,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    finished_at: iso(r.finished_at),
    steps: r.steps.map((weight, i) => {
      const runs = r.history.filter((h) => h.step === i);
      const last = runs[runs.length - 1];
      return {
        step: i + 1,
        weight,
        status: !last ? 'waiting' : last.ended_at === null ? (r.state === 'paused' ? 'paused' : 'running') : last.outcome,
        started_at: runs[0]?.started_at ?? null,
        ended_at: last?.ended_at ?? null,
        revision: last?.revision ?? null,
        ...(windows
          ? {
              windows: windows
                .filter((w) => w.step === i)
                .map((w) => ({ window_start: new Date(w.window_start).toISOString(), window_end: new Date(w.window_end).toISOString(), passed: w.passed, checks: w.checks })),
            }
          : {}),
      };
    }),
  };
}
