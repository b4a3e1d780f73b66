import { describe, expect, it } from 'vitest';
import { ValidationFailed } from './errors.js';
import { decodeCursor, decodeIntCursor, encodeCursor, toPage } from './page-cursor.js';

describe('page cursors', () => {
  it('round-trips a name and a number', () => {
    expect(decodeCursor(encodeCursor('credit-risk'))).toBe('credit-risk');
    expect(decodeIntCursor(encodeCursor(17))).toBe(17);
  });

  it('refuses a cursor it did not give out with VALIDATION_FAILED on the cursor field', () => {
    for (const bad of ['', '!!!', encodeCursor('abc')]) {
      expect(() => decodeIntCursor(bad)).toThrow(ValidationFailed);
    }
    expect(() => decodeCursor('')).toThrow(/not a cursor/);
  });

  it('gives a next cursor exactly when more rows than the limit came back', () => {
    expect(toPage([1, 2, 3], 2, (x) => x)).toEqual({ items: [1, 2], next_cursor: encodeCursor(2) });
    expect(toPage([1, 2], 2, (x) => x)).toEqual({ items: [1, 2], next_cursor: null });
    expect(toPage([], 2, (x) => x)).toEqual({ items: [], next_cursor: null });
  });
});
