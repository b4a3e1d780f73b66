import { z } from 'zod';
import { ValidationFailed } from './errors.js';

/**
 * Every list answers one page: at most `limit` items and `next_cursor`,
 * opaque, non-null exactly when more items follow. The cursor is the last
 * item's sort key, base64url-encoded so callers pass it back unchanged
 * instead of building one.
 */
export const pageQuery = (defaultLimit: number) => ({
  limit: z.coerce.number().int().min(1).max(500).default(defaultLimit),
  /** Opaque cursor from the previous page's `next_cursor`. */
  cursor: z.string().max(400).optional(),
});

export function encodeCursor(key: string | number): string {
  return Buffer.from(String(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key || encodeCursor(key) !== cursor.replace(/=+$/, '')) throw notACursor();
  return key;
}

export function decodeIntCursor(cursor: string): number {
  const key = decodeCursor(cursor);
  // Versions and revisions are int4 in PostgreSQL: a larger number is no cursor we issued.
  if (!/^[1-9]\d{0,9}$/.test(key) || Number(key) > 2_147_483_647) throw notACursor();
  return Number(key);
}

/**
 * The number a newest-first page starts below: the cursor's, or the older
 * `before` parameter's, the lower if both are given.
 */
export function pageBelow(before: number | undefined, cursor: string | undefined): number | undefined {
  const fromCursor = cursor === undefined ? undefined : decodeIntCursor(cursor);
  if (before === undefined) return fromCursor;
  return fromCursor === undefined ? before : Math.min(before, fromCursor);
}

/** Splits `limit + 1` fetched rows into the page and its `next_cursor`. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string | number): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null };
}

const notACursor = () => new ValidationFailed('cursor: not a cursor this API gave out', { field: 'cursor' });
