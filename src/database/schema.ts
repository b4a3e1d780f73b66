import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';
import { DriftChecks1765400000000 } from './migrations/1765400000000-drift-checks.js';
import { WindowSketches1765400000001 } from './migrations/1765400000001-window-sketches.js';
import { PartitionPredictionLog1765500000001 } from './migrations/1765500000001-partition-prediction-log.js';
import { Alerting1765600000001 } from './migrations/1765600000001-alerting.js';
import { AuditLog1765700000001 } from './migrations/1765700000001-audit-log.js';
import { KeyModels1765700000002 } from './migrations/1765700000002-key-models.js';
import { PerformanceBuckets1766100000001 } from './migrations/1766100000001-performance-buckets.js';
import { VersionCalibration1766200000001 } from './migrations/1766200000001-version-calibration.js';
import { PredictionScores1766200000002 } from './migrations/1766200000002-prediction-scores.js';
import { ReleasesGatesEvents1766300000001 } from './migrations/1766300000001-releases-gates-events.js';
import { Rollouts1766400000001 } from './migrations/1766400000001-rollouts.js';
import { FeatureStore1766600000001 } from './migrations/1766600000001-feature-store.js';
import { TensorTask1766900000021 } from './migrations/1766900000021-tensor-task.js';
import { VersionOnlineFeatures1767000000001 } from './migrations/1767000000001-version-online-features.js';
import { FeatureSource1767000000101 } from './migrations/1767000000101-feature-source.js';
import { REGISTRY_ENTITIES } from '../registry/entities/index.js';
import { ApiKeyEntity } from '../auth/api-key.entity.js';

/**
 * The entity classes and migrations the DataSource is built with, as arrays
 * of classes (globs break under ESM and bundling). Wiring only, like the app
 * module: each entity lives in the module that owns it.
 */
export const ENTITIES: Function[] = [...REGISTRY_ENTITIES, ApiKeyEntity, ];
export const MIGRATIONS: Function[] = [
  InitialSchema1764000000000,
  DriftChecks1765400000000,
  WindowSketches1765400000001,
  PartitionPredictionLog1765500000001,
  Alerting1765600000001,
  AuditLog1765700000001,
  KeyModels1765700000002,
  PerformanceBuckets1766100000001,
  VersionCalibration1766200000001,
  PredictionScores1766200000002,
  ReleasesGatesEvents1766300000001,
  Rollouts1766400000001,
  FeatureStore1766600000001,
  TensorTask1766900000021,
  VersionOnlineFeatures1767000000001,
  FeatureSource1767000000101,
];
