import { z } from 'zod';
import { RECEIVER_TYPES } from './receivers/receiver.js';
import { RULES, SEVERITIES } from './rules/alert-policy.js';
import { isEventPattern } from '../registry/events/event-types.js';

const glob = z.string().min(1).max(200);

export const receiverMatchSchema = z.strictObject({
  models: z.array(glob).max(100).optional(),
  severities: z.array(z.enum(SEVERITIES)).max(4).optional(),
});

const receiverFields = {
  type: z.enum(RECEIVER_TYPES),
  url: z.url({ protocol: /^https?$/ }).optional(),
  secret: z.string().min(1).max(1000).nullish(),
  routing_key: z.string().min(1).max(200).nullish(),
  match: receiverMatchSchema.default({}),
  /** Registry event types a webhook subscribes to (`alias.*`, `rollout.aborted`, `*`); absent: alerts only. */
  events: z
    .array(z.string().max(100).refine(isEventPattern, 'not a registry event type or family (alias.*)'))
    .max(50)
    .nullish(),
};

function requireFieldsOfType(r: { type: string; url?: string; routing_key?: string | null; events?: string[] | null }, ctx: z.RefinementCtx): void {
  if (r.events?.length && r.type !== 'webhook') ctx.addIssue({ code: 'custom', path: ['events'], message: 'only a webhook receiver subscribes to registry events' });
  if (r.type !== 'pagerduty' && !r.url) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${r.type} receiver needs a url` });
  if (r.type === 'pagerduty' && !r.routing_key) ctx.addIssue({ code: 'custom', path: ['routing_key'], message: 'a pagerduty receiver needs a routing_key' });
}

export const createReceiverSchema = z.strictObject(receiverFields).superRefine(requireFieldsOfType);
export type CreateReceiverDto = z.infer<typeof createReceiverSchema>;

/** An env receiver may name its id, so its notifications keep their receiver across restarts. */
export const envReceiverSchema = z
  .strictObject({ ...receiverFields, id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/).optional() })
  .superRefine(requireFieldsOfType);

export const patchReceiverSchema = z
  .strictObject({
    url: receiverFields.url,
    secret: receiverFields.secret,
    routing_key: receiverFields.routing_key,
    match: receiverMatchSchema.optional(),
    events: receiverFields.events,
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type PatchReceiverDto = z.infer<typeof patchReceiverSchema>;

export const createSilenceSchema = z.strictObject({
  matchers: z
    .strictObject({ model: glob.optional(), rule: z.enum(RULES).optional(), severity: z.enum(SEVERITIES).optional() })
    .refine((m) => Object.keys(m).length > 0, 'a silence needs at least one matcher'),
  ends_at: z.iso.datetime({ offset: true }).refine((t) => Date.parse(t) > Date.now(), 'ends_at must be in the future'),
  starts_at: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().min(1).max(2000),
});
export type CreateSilenceDto = z.infer<typeof createSilenceSchema>;

export const ackSchema = z.strictObject({ note: z.string().max(2000).default('') });

export const listAlertsSchema = z.strictObject({
  state: z.enum(['firing', 'resolved', 'acknowledged']).optional(),
  model: z.string().min(1).max(200).optional(),
  severity: z.enum(SEVERITIES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export type ListAlertsQuery = z.infer<typeof listAlertsSchema>;

export const listSilencesSchema = z.strictObject({
  active: z.enum(['true', 'false']).optional(),
});
