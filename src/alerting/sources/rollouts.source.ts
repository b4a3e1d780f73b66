import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AbortedRollout {
  id: number;
  model: string;
  candidate_version: number;
  baseline_version: number;
  step: number;
  weight: number;
  reason: string | null;
  finished_at: Date;
  severity: string | null;
}

/** How far back aborted rollouts are looked at: a leader that was down this long still pages for them. */
const LOOKBACK_MS = 24 * 60 * 60 * 1000;

/**
 * What alerting reads of releases, straight from its table: rollouts that
 * aborted, each of which pages once as `rollout_aborted`. Read-only, and the
 * one place alerting knows the rollouts' schema.
 */
@Injectable()
export class RolloutsSource {
  constructor(private readonly dataSource: DataSource) {}

  async recentlyAborted(now = Date.now()): Promise<AbortedRollout[]> {
    const rows = await this.dataSource.query(
      `SELECT r.id, r.model_name AS model, r.candidate_version, r.baseline_version, r.current_step, r.steps, r.state_reason, r.finished_at,
              m.monitoring_policy->'severity'->>'rollout_aborted' AS severity
         FROM rollouts r JOIN models m ON m.id = r.model_id
        WHERE r.state = 'aborted' AND r.finished_at > $1 ORDER BY r.finished_at, r.id`,
      [new Date(now - LOOKBACK_MS)],
    );
    return rows.map((r: any) => ({
      id: Number(r.id),
      model: r.model,
      candidate_version: r.candidate_version,
      baseline_version: r.baseline_version,
      step: r.current_step + 1,
      weight: r.steps[r.current_step],
      reason: r.state_reason,
      finished_at: r.finished_at,
      severity: r.severity,
    }));
  }
}
