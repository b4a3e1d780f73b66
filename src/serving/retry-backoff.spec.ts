import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retry-backoff.js';

describe('retryDelayMs', () => {
  it('doubles from the first delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => retryDelayMs(a, 250, 10_000))).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000]);
  });

  it('stays at the cap however many attempts failed', () => {
    expect(retryDelayMs(10_000, 250, 10_000)).toBe(10_000);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(retryDelayMs(0, 250, 10_000)).toBe(250);
  });
});
