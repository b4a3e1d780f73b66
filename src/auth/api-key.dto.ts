import { z } from 'zod';
import { pageQuery } from '../common/page-cursor.js';
import { KEY_ID_LENGTH } from './api-key-format.js';
import type { ApiKeyEntity } from './api-key.entity.js';
import { SCOPES } from './scopes.js';

export const createKeySchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters'),
  scopes: z
    .array(z.enum(SCOPES, { error: `scopes must be among ${SCOPES.join(', ')}` }))
    .min(1, 'scopes must hold at least one scope')
    .transform((s) => [...new Set(s)]),
  models: z
    .array(z.string().regex(/^[a-z0-9*][a-z0-9._*-]{0,62}$/, 'each of models must be a model name, * matching any characters (credit-*)'))
    .min(1, 'models must hold at least one pattern; omit it for every model')
    .max(100)
    .nullish(),
  expires_at: z.iso
    .datetime({ offset: true, error: 'expires_at must be an RFC 3339 time, e.g. 2030-01-01T00:00:00Z' })
    .nullish()
    .refine((t) => t == null || Date.parse(t) > Date.now(), 'expires_at must be in the future'),
});
export type CreateKeyDto = z.infer<typeof createKeySchema>;

export const listKeysQuerySchema = z.strictObject(pageQuery(100));
export type ListKeysQuery = z.infer<typeof listKeysQuerySchema>;

const KEY_ID = new RegExp(`^[a-z2-7]{${KEY_ID_LENGTH}}$`);
/** A string that cannot be a key id cannot name a key: the caller gets 404, not 400. */
export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

/** A key as listed: everything but the secret, which is not kept. */
export interface KeyView {
  id: string;
  name: string;
  scopes: string[];
  /** Model name patterns the key is limited to; null: every model. */
  models: string[] | null;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** The answer to a create: the only time the whole key is shown. */
export interface CreatedKeyView {
  id: string;
  key: string;
  name: string;
  scopes: string[];
  models: string[] | null;
  created_at: string;
  expires_at: string | null;
}

export function keyView(k: ApiKeyEntity): KeyView {
  return {
    id: k.id,
    name: k.name,
    scopes: k.scopes,
    models: k.models ?? null,
    created_by: k.createdBy,
    created_at: k.createdAt.toISOString(),
    expires_at: k.expiresAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
  };
}

const timeOrNull = { type: ['string', 'null'], format: 'date-time' };
export const keyViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', example: 'q3zr7m2kd5xa' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
    models: { type: ['array', 'null'], items: { type: 'string' }, description: 'model name patterns (credit-*); null: every model' },
    created_by: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: timeOrNull,
    revoked_at: timeOrNull,
    last_used_at: timeOrNull,
  },
};
export const createdKeyViewSchema = {
  type: 'object',
  properties: {
    id: keyViewSchema.properties.id,
    key: { type: 'string', description: 'mgk_<key id>_<secret>; shown only in this answer', example: 'mgk_q3zr7m2kd5xa_…' },
    name: keyViewSchema.properties.name,
    scopes: keyViewSchema.properties.scopes,
    created_at: keyViewSchema.properties.created_at,
    expires_at: timeOrNull,
  },
};
