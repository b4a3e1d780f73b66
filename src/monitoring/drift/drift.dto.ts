import { z } from 'zod';

export const driftParams = z.strictObject({ name: z.string().min(1).max(63) });

export const driftQuerySchema = z.strictObject({
  version: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
  variant: z.string().min(1).max(200).optional(),
  /** Windows starting at or after this instant (ISO 8601). */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Windows starting before this instant (ISO 8601). */
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Opaque cursor from the previous page's `next_cursor`. */
  cursor: z.string().max(200).optional(),
});
export type DriftQuery = z.infer<typeof driftQuerySchema>;
