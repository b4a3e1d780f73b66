import { z } from 'zod';
import { pageQuery } from '../common/page-cursor.js';
import { int4, int4Query, nameSchema } from '../common/validation.js';

const auc = z.strictObject({
  min_labels: z.int().min(2).max(10_000_000).default(200),
  /** AUC: the candidate may be this much worse (absolute). RMSE: its MSE this share of the baseline's worse. */
  margin: z.number().min(0).max(1).default(0.02),
  confidence: z.number().gt(0.5).lt(1).default(0.95),
  /** The monitor's estimated AUC may stand in, marked as such, when labels are late. */
  allow_estimate: z.boolean().default(false),
});

export const analysisSchema = z.strictObject({
  max_error_rate_factor: z.number().min(1).max(1000).default(2),
  error_rate_max: z.number().min(0).max(1).default(0.01),
  max_p99_factor: z.number().min(1).max(1000).default(1.5),
  p99_max_ms: z.number().min(0).max(600_000).default(5),
  prediction_drift: z.boolean().default(true),
  /** null: no quality check (no labels will come). */
  auc: auc.nullable().prefault({}),
  failure_threshold: z.int().min(1).max(1000).default(2),
  label_timeout_s: z.int().min(1).max(30 * 86_400).default(1800),
  on_label_timeout: z.enum(['wait', 'pass']).default('wait'),
});

export const startRolloutSchema = z.strictObject({
  /** A version number or an alias, resolved once at start. */
  candidate: z.union([int4('candidate'), nameSchema('candidate')]),
  steps: z
    .array(z.int().min(1).max(100))
    .min(1)
    .max(20)
    .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), 'steps must increase')
    .refine((s) => s[s.length - 1] === 100, 'the last step must be 100')
    .default([5, 25, 50, 100]),
  step_min_duration_s: z.int().min(1).max(7 * 86_400).default(600),
  analysis: analysisSchema.prefault({}),
  reason: z.string().max(2_000).optional(),
  /** Passes failed promotion gates (never an approval), recorded as forced; needs a reason. */
  force: z.boolean().optional(),
}).refine((s) => !s.force || (s.reason ?? '').trim().length > 0, { path: ['reason'], message: 'force needs a reason' });
export type StartRolloutDto = z.infer<typeof startRolloutSchema>;

export const rolloutActionSchema = z.strictObject({ reason: z.string().max(2_000).optional() }).prefault({});

export const rolloutParams = z.object({ name: nameSchema('model name'), id: int4Query('rollout id') });

export const listRolloutsQuery = z.strictObject({ ...pageQuery(50), state: z.enum(['pending', 'running', 'paused', 'completed', 'aborted']).optional() });
export type ListRolloutsQuery = z.infer<typeof listRolloutsQuery>;

