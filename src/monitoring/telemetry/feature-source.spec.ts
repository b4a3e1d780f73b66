import { describe, expect, it } from 'vitest';
import { FEATURE_SOURCES, featureSourceCode, featureSourceName, LOOKED_UP, SENT } from './feature-source.js';

describe('feature source codes', () => {
  it('stores looked_up as 1 and everything else, an absent flag included, as 0 (the column default)', () => {
    expect(featureSourceCode(true)).toBe(LOOKED_UP);
    expect(featureSourceCode(false)).toBe(SENT);
    expect(featureSourceCode(undefined)).toBe(SENT);
    expect([SENT, LOOKED_UP]).toEqual([0, 1]);
  });

  it('names a stored code, reading anything but 1 (rows from before the column) as sent', () => {
    expect(featureSourceName(1)).toBe('looked_up');
    expect(featureSourceName(0)).toBe('sent');
    expect(featureSourceName(null)).toBe('sent');
    expect(FEATURE_SOURCES.map((_, i) => featureSourceName(i))).toEqual([...FEATURE_SOURCES]);
  });
});
