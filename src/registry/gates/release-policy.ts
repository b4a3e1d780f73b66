import { z } from 'zod';
import { nameSchema } from '../../common/validation.js';

const metricName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a metric name is letters, digits, "_", "." or "-"');

/**
 * A model's `release_policy`: which aliases are guarded and what moving one
 * asks for. Every key optional; `releasePolicyOf` fills the defaults.
 */
export const releasePolicySchema = z.strictObject({
  guarded_aliases: z.array(nameSchema('alias')).max(20).optional(),
  /** The candidate must carry a training baseline. */
  require_baseline: z.boolean().optional(),
  /** Registered metrics the candidate must clear (`{"auc": 0.85}`); for an error metric (rmse, ...) the bar is a ceiling. */
  min_metrics: z.record(metricName, z.number().finite()).optional(),
  /** How far a metric may fall below what the alias serves now (`{"auc": 0.01}`). */
  max_metric_drop: z.record(metricName, z.number().finite().min(0)).optional(),
  /** A move of a guarded alias, or a rollout, waits for a second key's approval. */
  require_approval: z.boolean().optional(),
});
export type ReleasePolicyDto = z.infer<typeof releasePolicySchema>;

export interface ReleasePolicy {
  guarded_aliases: string[];
  require_baseline: boolean;
  min_metrics: Record<string, number>;
  max_metric_drop: Record<string, number>;
  require_approval: boolean;
}

export const DEFAULT_GUARDED_ALIASES = ['production'];

/** The stored policy with every default filled in (stored policies hold only what was set). */
export function releasePolicyOf(stored: ReleasePolicyDto | Record<string, unknown> | null | undefined): ReleasePolicy {
  const p = (stored ?? {}) as ReleasePolicyDto;
  return {
    guarded_aliases: p.guarded_aliases ?? DEFAULT_GUARDED_ALIASES,
    require_baseline: p.require_baseline ?? false,
    min_metrics: p.min_metrics ?? {},
    max_metric_drop: p.max_metric_drop ?? {},
    require_approval: p.require_approval ?? false,
  };
}

export function isGuarded(policy: ReleasePolicy, alias: string): boolean {
  return policy.guarded_aliases.includes(alias);
}
