import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ModelTask } from '../../onnx/model-signature.js';
import type { TrafficPolicy } from '../serving-state.js';

@Entity('models')
export class ModelEntity {
  /** bigint: node-postgres hands it back as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text', unique: true })
  name: string;

  @Column({ type: 'text' })
  task: ModelTask;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'text', nullable: true })
  owner: string | null;

  @Column({ type: 'jsonb', default: {} })
  tags: Record<string, string>;

  @Column({ name: 'monitoring_policy', type: 'jsonb', default: {} })
  monitoringPolicy: Record<string, unknown>;

  /** Guarded aliases, promotion gates and approval (`releasePolicyOf` fills the defaults). */
  @Column({ name: 'release_policy', type: 'jsonb', default: {} })
  releasePolicy: Record<string, unknown>;

  /** The highest version number ever given; numbers are never reused. */
  @Column({ name: 'latest_version', type: 'integer', default: 0 })
  latestVersion: number;

  @Column({ name: 'serving_revision', type: 'integer', default: 0 })
  servingRevision: number;

  @Column({ name: 'traffic_policy', type: 'jsonb', nullable: true })
  trafficPolicy: TrafficPolicy | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
