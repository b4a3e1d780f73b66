/** The release API's answers (src/releases/rollouts.views.ts, src/registry/gates/approval-store.ts, src/registry/events), as the console reads them. */

export type RolloutState = 'pending' | 'running' | 'paused' | 'completed' | 'aborted';
export type CheckOutcome = 'pass' | 'fail' | 'unjudged';

export interface RolloutCheck {
  check: 'error_rate' | 'latency_p99' | 'prediction_drift' | 'auc' | 'rmse' | string;
  outcome: CheckOutcome;
  /** The candidate's figure. */
  value: number | null;
  /** What it was held against. */
  limit: number | null;
  note?: string;
  details?: Record<string, unknown>;
}

export interface RolloutWindow {
  window_start: string;
  window_end: string;
  passed: boolean;
  checks: RolloutCheck[];
}

export interface RolloutStep {
  step: number;
  weight: number;
  status: 'waiting' | 'running' | 'paused' | 'passed' | 'aborted' | 'promoted' | null;
  started_at: string | null;
  ended_at: string | null;
  revision: number | null;
  /** Only when one rollout is read. */
  windows?: RolloutWindow[];
}

export interface Rollout {
  id: number;
  model: string;
  candidate: string;
  candidate_version: number;
  baseline_version: number;
  state: RolloutState;
  state_reason: string | null;
  reason: string | null;
  current_step: number | null;
  current_weight: number;
  step_started_at: string | null;
  step_min_duration_s: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  steps: RolloutStep[];
}

export interface RolloutList {
  model: string;
  rollouts: Rollout[];
  next_cursor: string | null;
}

export type RolloutAction = 'pause' | 'resume' | 'abort' | 'promote';

export type RequestState = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRequest {
  id: string;
  model: string;
  action: { type: string; alias?: string; version?: number; force?: boolean; [key: string]: unknown };
  state: RequestState;
  reason: string | null;
  serving_revision: number;
  requested_by: string;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
}

export interface RequestList {
  model: string;
  requests: ApprovalRequest[];
  next_cursor: string | null;
}

export interface RegistryEvent {
  id: string;
  type: string;
  model: string | null;
  version: number | null;
  actor: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

export interface EventList {
  events: RegistryEvent[];
  next_cursor: string | null;
}
