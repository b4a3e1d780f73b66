import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ServingState } from '../serving-state.js';

export type RevisionChange = 'alias_set' | 'alias_deleted' | 'traffic_set' | 'traffic_cleared' | 'rollback';

@Entity('serving_revisions')
export class ServingRevisionEntity {
  @PrimaryColumn({ name: 'model_id', type: 'bigint' })
  modelId: string;

  @PrimaryColumn({ type: 'integer' })
  revision: number;

  @Column({ type: 'text' })
  change: RevisionChange;

  @Column({ type: 'text', nullable: true })
  alias: string | null;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'jsonb' })
  before: ServingState;

  @Column({ type: 'jsonb' })
  after: ServingState;

  @Column({ name: 'restored_revision', type: 'integer', nullable: true })
  restoredRevision: number | null;

  /** The move passed failing promotion gates by `force` (with a reason). */
  @Column({ type: 'boolean', default: false })
  forced: boolean;

  /** What the promotion gates found, for a move of a guarded alias. */
  @Column({ type: 'jsonb', nullable: true })
  gates: unknown[] | null;

  /** The approval request this move carried out. */
  @Column({ name: 'approval_id', type: 'text', nullable: true })
  approvalId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
