import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { VersionCalibration } from '../../monitoring/estimate/calibration.js';
import type { BaselineSketch } from '../../monitoring/sketch/baseline-sketch.js';
import type { ModelSignature, ScoreOutput } from '../../onnx/model-signature.js';
import type { OnlineFeaturesBlock } from '../../features/online-features.js';

export type VersionStatus = 'ready' | 'archived';

@Entity('model_versions')
export class ModelVersionEntity {
  @PrimaryColumn({ name: 'model_id', type: 'bigint' })
  modelId: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'text', default: 'ready' })
  status: VersionStatus;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'jsonb', default: {} })
  tags: Record<string, string>;

  @Column({ name: 'artifact_key', type: 'text' })
  artifactKey: string;

  @Column({ name: 'artifact_sha256', type: 'text' })
  artifactSha256: string;

  /** bigint as a string, like every bigint from node-postgres. */
  @Column({ name: 'artifact_size', type: 'bigint' })
  artifactSize: string;

  @Column({ type: 'jsonb' })
  signature: ModelSignature;

  @Column({ name: 'feature_names', type: 'jsonb' })
  featureNames: string[];

  @Column({ name: 'categorical_features', type: 'jsonb', default: [] })
  categoricalFeatures: string[];

  @Column({ name: 'label_column', type: 'text', default: 'label' })
  labelColumn: string;

  @Column({ name: 'score_output', type: 'jsonb', nullable: true })
  scoreOutput: ScoreOutput | null;

  @Column({ type: 'jsonb', default: {} })
  metrics: Record<string, number>;

  @Column({ type: 'jsonb', default: {} })
  lineage: Record<string, unknown>;

  @Column({ type: 'jsonb', nullable: true, select: false })
  baseline: BaselineSketch | null;

  /** Per score bin, rows and positives of the labelled baseline (binary models): what CBPE estimates from. */
  @Column({ type: 'jsonb', nullable: true, select: false })
  calibration: VersionCalibration | null;

  /** The baseline's expected calibration error (10 bins); null without a labelled binary baseline. */
  @Column({ name: 'calibration_error', type: 'double precision', nullable: true })
  calibrationError: number | null;

  /** What serving looks up in feature views for this version (normal form); null: callers send every feature. */
  @Column({ name: 'online_features', type: 'jsonb', nullable: true })
  onlineFeatures: OnlineFeaturesBlock | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
