import { z } from 'zod';
import { pageQuery } from '../../common/page-cursor.js';
import { INT4_MAX, nameSchema, tagsSchema } from '../../common/validation.js';
import { releasePolicySchema } from '../gates/release-policy.js';

export const TASKS = ['binary_classification', 'multiclass_classification', 'regression', 'tensor'] as const;

const rate = z.number().min(0).max(1).optional();
/** The alert rules a policy can set a severity or runbook for (the alerting module's `RULES`). */
const ALERT_RULES = ['feature_drift', 'prediction_drift', 'data_quality', 'auc', 'estimated_auc', 'latency_p99', 'error_rate'] as const;
const severity = z.enum(['critical', 'error', 'warning', 'info']);
const runbookUrl = z.url({ protocol: /^https?$/ }).max(2_000);
const alpha = z.number().gt(0).lt(1).optional();

/** A feature's override: `method` + `threshold` judges it by that test alone; any flat threshold; `ignore`. */
const featurePolicy = z.strictObject({
  method: z.enum(['psi', 'ks', 'chi_square', 'jensen_shannon']).optional(),
  threshold: z.number().positive().optional(),
  ignore: z.boolean().optional(),
  psi_threshold: z.number().positive().optional(),
  ks_alpha: alpha,
  ks_min_statistic: z.number().gt(0).max(1).optional(),
  chi2_alpha: alpha,
  js_min_distance: z.number().gt(0).max(1).optional(),
  missing_rate_max: rate,
  out_of_range_max: rate,
  unseen_rate_max: rate,
});

/** Thresholds and windows of the monitor; every key optional, defaults applied where read. */
export const monitoringPolicySchema = z.strictObject({
  window_seconds: z.int().min(1).max(7 * 86400).optional(),
  min_samples: z.int().min(1).max(INT4_MAX).optional(),
  bins: z.int().min(2).max(100).optional(),
  psi_threshold: z.number().positive().optional(),
  ks_alpha: z.number().gt(0).lt(1).optional(),
  ks_min_statistic: z.number().gt(0).max(1).optional(),
  js_min_distance: z.number().gt(0).max(1).optional(),
  chi2_alpha: alpha,
  missing_rate_max: rate,
  out_of_range_max: rate,
  unseen_rate_max: rate,
  min_labels: z.int().min(1).max(INT4_MAX).optional(),
  auc_min: z.number().min(0).max(1).optional(),
  auc_margin: z.number().min(0).max(1).optional(),
  /** The `estimated_auc` rule (off unless one is set): the CBPE estimate's whole band under this, or under validation AUC minus the margin. */
  estimated_auc_min: z.number().min(0).max(1).optional(),
  estimated_auc_margin: z.number().min(0).max(1).optional(),
  latency_p99_ms: z.number().positive().optional(),
  latency_regression_factor: z.number().gt(1).max(1_000).optional(),
  error_rate_max: z.number().min(0).max(1).optional(),
  // Alert rules (PRODUCT.md "Alert lifecycle"): judged windows before firing and before resolving.
  for_windows: z.int().min(1).max(1_000).optional(),
  resolve_windows: z.int().min(1).max(1_000).optional(),
  /** Feature drift pages when at least this many features drifted in a window (default 1: any). */
  drift_min_features: z.int().min(1).max(10_000).optional(),
  /** One severity for every rule, or one per rule name. */
  severity: z.union([severity, z.partialRecord(z.enum(ALERT_RULES), severity)]).optional(),
  /** Sent to every receiver: one URL for every rule, or one per rule name. */
  runbook_url: z.union([runbookUrl, z.partialRecord(z.enum(ALERT_RULES), runbookUrl)]).optional(),
  features: z.record(z.string(), featurePolicy).optional(),
});

export const createModelSchema = z.strictObject({
  name: nameSchema('name'),
  task: z.enum(TASKS),
  description: z.string().max(10_000).default(''),
  owner: z.string().max(200).nullish(),
  tags: tagsSchema.default({}),
  monitoring_policy: monitoringPolicySchema.default({}),
  release_policy: releasePolicySchema.default({}),
});
export type CreateModelDto = z.infer<typeof createModelSchema>;

export const patchModelSchema = z
  .strictObject({
    description: z.string().max(10_000),
    owner: z.string().max(200).nullable(),
    tags: tagsSchema,
    monitoring_policy: monitoringPolicySchema,
    release_policy: releasePolicySchema,
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type PatchModelDto = z.infer<typeof patchModelSchema>;

export const listModelsQuerySchema = z.strictObject({
  /** `key` or `key:value`; repeat for AND. */
  tag: z.union([z.string(), z.array(z.string())]).optional(),
  task: z.enum(TASKS).optional(),
  /** Part of the name (a prefix or any substring, case-insensitive); the order stays by name so cursors keep working. */
  q: z.string().trim().min(1).max(63).optional(),
  ...pageQuery(50),
});
export type ListModelsQuery = z.infer<typeof listModelsQuerySchema>;
