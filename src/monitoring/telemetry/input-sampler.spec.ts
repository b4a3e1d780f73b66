import { describe, expect, it } from 'vitest';
import { InputSampler } from './input-sampler.js';

/** A deterministic generator (mulberry32), so the test's numbers do not change between runs. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('InputSampler', () => {
  it('never samples at rate 0 and always samples at rate 1, without drawing a random number', () => {
    const random = () => {
      throw new Error('drew a random number');
    };
    const never = new InputSampler(0, random);
    const always = new InputSampler(1, random);
    for (let i = 0; i < 100; i++) {
      expect(never.shouldSample()).toBe(false);
      expect(always.shouldSample()).toBe(true);
    }
  });

  it('samples close to the configured fraction of requests', () => {
    const s = new InputSampler(0.1, seeded(42));
    let kept = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) if (s.shouldSample()) kept++;
    // Binomial(100000, 0.1): sd ~95, so 5 sd is ~475.
    expect(Math.abs(kept - n * 0.1)).toBeLessThan(475);
  });

  it('refuses a rate outside [0, 1]', () => {
    expect(() => new InputSampler(1.5)).toThrow(RangeError);
    expect(() => new InputSampler(-0.1)).toThrow(RangeError);
    expect(() => new InputSampler(Number.NaN)).toThrow(RangeError);
  });
});
