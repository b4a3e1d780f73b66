import { z } from 'zod';
import { ValidationFailed } from './errors.js';
import { assertStorableJson } from './json-safety.js';

/** PostgreSQL's int4: the largest version, revision, limit or cursor a query can take. */
export const INT4_MAX = 2_147_483_647;
/** A positive integer that fits an int4 column (OpenAPI advertises the maximum). */
export const int4 = (what = 'value') => z.int(`${what} must be an integer`).min(1, `${what} must be >= 1`).max(INT4_MAX, `${what} must be <= ${INT4_MAX}`);
/** The same, from a query string. */
export const int4Query = (what = 'value') =>
  z.coerce.number(`${what} must be a number`).int(`${what} must be an integer`).min(1, `${what} must be >= 1`).max(INT4_MAX, `${what} must be <= ${INT4_MAX}`);

/**
 * Parses input with a zod schema; the first problem becomes a 400 naming the
 * offending field (`details.field` is a dotted path, e.g. `routes.1.weight`).
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  // NUL bytes, lone surrogates and deep nesting first: no schema below checks them.
  assertStorableJson(input, where);
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 10).map((i) => ({
    field: i.path.length ? i.path.join('.') : where,
    message: i.message,
  }));
  const first = issues[0];
  throw new ValidationFailed(`${first.field}: ${first.message}`, { field: first.field, issues });
}

/** JSON Schema of a zod schema, for @ApiBody / @ApiResponse. */
export function openApiSchema(schema: z.ZodType): Record<string, any> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;
  return rest;
}

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const nameSchema = (what: string) =>
  z.string().regex(NAME_PATTERN, `${what} must match ^[a-z0-9][a-z0-9._-]{0,62}$`);

/** Tags: a flat string map, like MLflow's. */
export const tagsSchema = z
  .record(z.string().min(1).max(250), z.string().max(5000))
  .refine((t) => Object.keys(t).length <= 100, 'at most 100 tags');

/** A path's version number, checked by hand on the prediction routes (no zod per request). */
export function parseVersionParam(raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1 || v > INT4_MAX) {
    throw new ValidationFailed(`version must be a positive integer, not "${raw.slice(0, 20)}"`, { field: 'version' });
  }
  return v;
}
