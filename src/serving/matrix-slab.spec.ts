import { describe, expect, it } from 'vitest';
import { MatrixSlab } from './matrix-slab.js';

describe('MatrixSlab', () => {
  it('hands out zeroed matrices of the right type and length that share no value', () => {
    const slab = new MatrixSlab(false, 1024);
    const all = Array.from({ length: 40 }, (_, i) => slab.allocate(1 + (i % 7)));
    for (const [i, m] of all.entries()) {
      expect(m).toBeInstanceOf(Float32Array);
      expect(m.length).toBe(1 + (i % 7));
      expect([...m].every((v) => v === 0)).toBe(true);
      m.fill(i + 1);
    }
    for (const [i, m] of all.entries()) expect([...m].every((v) => v === i + 1), `matrix ${i}`).toBe(true);
  });

  it('aligns float64 matrices, and moves to a new slab when one is full', () => {
    const slab = new MatrixSlab(true, 1024);
    const all = Array.from({ length: 50 }, () => slab.allocate(3));
    for (const m of all) {
      expect(m).toBeInstanceOf(Float64Array);
      expect(m.byteOffset % 8).toBe(0);
      expect(m.byteOffset + m.byteLength).toBeLessThanOrEqual(1024);
    }
    expect(new Set(all.map((m) => m.buffer)).size).toBeGreaterThan(1);
    all.forEach((m, i) => m.fill(i));
    all.forEach((m, i) => expect([...m]).toEqual([i, i, i]));
  });

  it('gives a matrix larger than a sixteenth of a slab an array of its own', () => {
    const slab = new MatrixSlab(false, 1024);
    const small = slab.allocate(16);
    const big = slab.allocate(17);
    expect(small.buffer.byteLength).toBe(1024);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(17 * 4);
  });
});
