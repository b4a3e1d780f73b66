import { z } from 'zod';
import { pageQuery } from '../../common/page-cursor.js';
import { int4, int4Query, nameSchema } from '../../common/validation.js';

const reason = z.string().max(2_000).optional();

/** `force` passes failing promotion gates (never an approval) and must say why. */
export const setAliasSchema = z
  .strictObject({ version: int4('version'), reason, force: z.boolean().optional() })
  .refine((b) => !b.force || !!b.reason?.trim(), { message: 'force needs a reason', path: ['reason'] });
export const deleteAliasSchema = z.strictObject({ reason }).default({});

const trafficRoute = z
  .strictObject({
    version: int4('version').optional(),
    alias: nameSchema('alias').optional(),
    weight: z.int().min(0).max(100),
    name: nameSchema('route name').optional(),
  })
  .refine((r) => (r.version === undefined) !== (r.alias === undefined), 'give exactly one of version and alias');

export const trafficPolicySchema = z.strictObject({
  routes: z
    .array(trafficRoute)
    .min(1)
    .max(20)
    .refine((rs) => rs.reduce((s, r) => s + r.weight, 0) === 100, 'weights must sum to 100'),
  sticky: z
    .string()
    .regex(/^(header|field):[A-Za-z0-9_.-]{1,100}$/, 'sticky must be header:<name> or field:<name>')
    .optional(),
  shadow: z.array(int4('shadow')).max(5).optional(),
  fallback: int4('fallback').optional(),
  timeout_ms: z.int().min(1).max(60_000).optional(),
  /** Share of live requests copied to the shadow versions (default 1). */
  shadow_sample: z.number().min(0).max(1).optional(),
  reason,
});
export type TrafficPolicyDto = z.infer<typeof trafficPolicySchema>;

export const rollbackSchema = z.strictObject({ to_revision: int4('to_revision').optional(), reason }).default({});

export const historyQuerySchema = z.strictObject({
  ...pageQuery(100),
  /** Revisions below this number: the older way to page, kept working. */
  before: int4Query('before').optional(),
});
export type HistoryQuery = z.infer<typeof historyQuerySchema>;
