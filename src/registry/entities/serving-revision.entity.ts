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

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
