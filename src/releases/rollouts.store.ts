import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Analysis, CheckResult, WindowVerdict } from './rollout-analysis.js';

export type RolloutState = 'pending' | 'running' | 'paused' | 'completed' | 'aborted';
export const ACTIVE_STATES: readonly RolloutState[] = ['pending', 'running', 'paused'];

/** One step as it happened: when it began, which revision moved the traffic, how it ended. */
export interface StepRecord {
  step: number;
  weight: number;
  started_at: string;
  ended_at: string | null;
  outcome: 'passed' | 'aborted' | 'promoted' | 'paused' | null;
  revision: number;
}

export interface RolloutRow {
  id: number;
  model_id: string;
  model_name: string;
  candidate_ref: string;
  candidate_version: number;
  baseline_version: number;
  steps: number[];
  step_min_duration_s: number;
  analysis: Analysis;
  reason: string | null;
  state: RolloutState;
  state_reason: string | null;
  current_step: number;
  step_started_at: Date | null;
  pre_revision: number;
  last_revision: number;
  history: StepRecord[];
  created_by: string;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface StoredWindow extends WindowVerdict {
  step: number;
  passed: boolean;
}

export type NewRollout = Pick<
  RolloutRow,
  'model_id' | 'model_name' | 'candidate_ref' | 'candidate_version' | 'baseline_version' | 'steps' | 'step_min_duration_s' | 'analysis' | 'reason' | 'pre_revision' | 'created_by'
>;

export type RolloutPatch = Partial<Pick<RolloutRow, 'state' | 'state_reason' | 'current_step' | 'step_started_at' | 'last_revision' | 'history' | 'finished_at'>>;

const toRow = (r: Record<string, any>): RolloutRow => ({ ...r, id: Number(r.id) }) as RolloutRow;

/** `rollouts` and `rollout_windows`: the whole state of every rollout, so any replica can drive it. */
@Injectable()
export class RolloutsStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts a pending rollout; undefined when the model has an active one (the partial unique index decides). */
  async insert(em: EntityManager, r: NewRollout): Promise<RolloutRow | undefined> {
    const rows = await em.query(
      `INSERT INTO rollouts (model_id, model_name, candidate_ref, candidate_version, baseline_version, steps, step_min_duration_s, analysis, reason, state, pre_revision, last_revision, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, 'pending', $10, $10, $11)
       ON CONFLICT (model_id) WHERE state IN ('pending', 'running', 'paused') DO NOTHING
       RETURNING *`,
      [r.model_id, r.model_name, r.candidate_ref, r.candidate_version, r.baseline_version, r.steps, r.step_min_duration_s, JSON.stringify(r.analysis), r.reason, r.pre_revision, r.created_by],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async get(model: string, id: number, em: EntityManager = this.dataSource.manager, lock = false): Promise<RolloutRow | undefined> {
    const rows = await em.query(`SELECT * FROM rollouts WHERE id = $1 AND model_name = $2${lock ? ' FOR UPDATE' : ''}`, [id, model]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async active(model: string, em: EntityManager = this.dataSource.manager): Promise<RolloutRow | undefined> {
    const rows = await em.query(`SELECT * FROM rollouts WHERE model_name = $1 AND state IN ('pending', 'running', 'paused')`, [model]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** What the driver moves: pending and running rollouts, oldest first. */
  async toDrive(): Promise<RolloutRow[]> {
    const rows = await this.dataSource.query(`SELECT * FROM rollouts WHERE state IN ('pending', 'running') ORDER BY id`);
    return rows.map(toRow);
  }

  /** Newest first. */
  async list(model: string, q: { limit: number; below?: number; state?: RolloutState }): Promise<RolloutRow[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM rollouts WHERE model_name = $1 AND ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR state = $3) ORDER BY id DESC LIMIT $4`,
      [model, q.below ?? null, q.state ?? null, q.limit + 1],
    );
    return rows.map(toRow);
  }

  /** The newest rollout of every model (the metrics' series: one per model, bounded). */
  async latestPerModel(): Promise<RolloutRow[]> {
    const rows = await this.dataSource.query(`SELECT DISTINCT ON (model_name) * FROM rollouts ORDER BY model_name, id DESC`);
    return rows.map(toRow);
  }

  async update(em: EntityManager, id: number, patch: RolloutPatch): Promise<void> {
    const sets: string[] = ['updated_at = now()'];
    const params: unknown[] = [id];
    for (const [k, v] of Object.entries(patch)) {
      params.push(k === 'history' ? JSON.stringify(v) : v);
      sets.push(`${k} = $${params.length}${k === 'history' ? '::jsonb' : ''}`);
    }
    await em.query(`UPDATE rollouts SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  /** Every window verdict of a rollout (or of one step), oldest first. */
  async windows(id: number, step?: number): Promise<StoredWindow[]> {
    const rows = await this.dataSource.query(
      `SELECT step, window_start, window_end, checks, passed FROM rollout_windows WHERE rollout_id = $1 AND ($2::int IS NULL OR step = $2) ORDER BY step, window_start`,
      [id, step ?? null],
    );
    return rows.map((r: any) => ({ step: r.step, window_start: r.window_start.getTime(), window_end: r.window_end.getTime(), checks: r.checks as CheckResult[], passed: r.passed }));
  }

  /** Written once per (rollout, step, window): a run repeated after a leader change writes nothing twice. */
  async insertWindow(id: number, step: number, v: WindowVerdict): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO rollout_windows (rollout_id, step, window_start, window_end, checks, passed) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
       ON CONFLICT DO NOTHING`,
      [id, step, new Date(v.window_start), new Date(v.window_end), JSON.stringify(v.checks), v.checks.every((c) => c.outcome === 'pass')],
    );
  }

  /** Revisions appended after `revision`, oldest first (a manual change during a rollout shows here). */
  async revisionsAfter(modelId: string, revision: number): Promise<{ revision: number; change: string; alias: string | null; actor: string; reason: string | null }[]> {
    return this.dataSource.query(`SELECT revision, change, alias, actor, reason FROM serving_revisions WHERE model_id = $1 AND revision > $2 ORDER BY revision`, [modelId, revision]);
  }

  /** Moves `last_revision` past revisions that changed no traffic, unless the rollout moved meanwhile. */
  async absorbRevisions(id: number, from: number, to: number): Promise<void> {
    await this.dataSource.query(`UPDATE rollouts SET last_revision = $3, updated_at = now() WHERE id = $1 AND last_revision = $2`, [id, from, to]);
  }

  /** The model's monitoring window in seconds (its policy's `window_seconds`, default 300). */
  async modelFacts(modelId: string): Promise<{ task: string; windowS: number }> {
    const [m] = await this.dataSource.query(`SELECT task, monitoring_policy FROM models WHERE id = $1`, [modelId]);
    const w = m?.monitoring_policy?.window_seconds;
    return { task: m?.task ?? 'binary_classification', windowS: typeof w === 'number' && w > 0 ? w : 300 };
  }
}
