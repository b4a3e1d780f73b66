import { z } from 'zod';
import { nameSchema, tagsSchema } from '../../common/validation.js';

export const TASKS = ['binary_classification', 'multiclass_classification', 'regression'] as const;

const rate = z.number().min(0).max(1).optional();
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
  min_samples: z.int().min(1).optional(),
  bins: z.int().min(2).max(100).optional(),
  psi_threshold: z.number().positive().optional(),
  ks_alpha: z.number().gt(0).lt(1).optional(),
  ks_min_statistic: z.number().gt(0).max(1).optional(),
  js_min_distance: z.number().gt(0).max(1).optional(),
  chi2_alpha: alpha,
  missing_rate_max: rate,
  out_of_range_max: rate,
  unseen_rate_max: rate,
  auc_min: z.number().min(0).max(1).optional(),
  latency_p99_ms: z.number().positive().optional(),
  error_rate_max: z.number().min(0).max(1).optional(),
  features: z.record(z.string(), featurePolicy).optional(),
});

export const createModelSchema = z.strictObject({
  name: nameSchema('name'),
  task: z.enum(TASKS),
  description: z.string().max(10_000).default(''),
  owner: z.string().max(200).nullish(),
  tags: tagsSchema.default({}),
  monitoring_policy: monitoringPolicySchema.default({}),
});
export type CreateModelDto = z.infer<typeof createModelSchema>;

export const patchModelSchema = z
  .strictObject({
    description: z.string().max(10_000),
    owner: z.string().max(200).nullable(),
    tags: tagsSchema,
    monitoring_policy: monitoringPolicySchema,
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type PatchModelDto = z.infer<typeof patchModelSchema>;

export const listModelsQuerySchema = z.strictObject({
  /** `key` or `key:value`; repeat for AND. */
  tag: z.union([z.string(), z.array(z.string())]).optional(),
  task: z.enum(TASKS).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Opaque cursor from the previous page's `next_cursor`. */
  cursor: z.string().max(200).optional(),
});
export type ListModelsQuery = z.infer<typeof listModelsQuerySchema>;
