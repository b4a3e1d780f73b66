import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { halfToNumber, Int64Writer, int64Reader, numberToHalf, ortTypeOf, v2DatatypeOf } from './datatypes.js';

describe('element types', () => {
  it('maps onnxruntime types to V2 datatypes and back', () => {
    const pairs = [['float32', 'FP32'], ['float64', 'FP64'], ['int64', 'INT64'], ['int32', 'INT32'], ['bool', 'BOOL'], ['string', 'BYTES'], ['uint8', 'UINT8'], ['float16', 'FP16']] as const;
    for (const [ort, v2] of pairs) {
      expect(v2DatatypeOf(ort)).toBe(v2);
      expect(ortTypeOf(v2)).toBe(ort);
    }
    expect(v2DatatypeOf('bfloat16')).toBeUndefined();
    expect(v2DatatypeOf('int4')).toBeUndefined();
  });
});

describe('float16', () => {
  it('decodes and encodes the special values', () => {
    expect(halfToNumber(0x3c00)).toBe(1);
    expect(halfToNumber(0x7bff)).toBe(65504);
    expect(halfToNumber(0x0001)).toBe(2 ** -24);
    expect(halfToNumber(0xfc00)).toBe(-Infinity);
    expect(halfToNumber(0x7e00)).toBeNaN();
    expect(numberToHalf(65504)).toBe(0x7bff);
    expect(numberToHalf(1e6)).toBe(0x7c00);
    expect(numberToHalf(2 ** -24)).toBe(0x0001);
    expect(numberToHalf(-0)).toBe(0x8000);
    expect(numberToHalf(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('round-trips every half-precision value', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToNumber(h);
      if (!Number.isNaN(v) && numberToHalf(v) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds a number to the nearest half', () => {
    fc.assert(
      fc.property(fc.double({ min: -60000, max: 60000, noNaN: true }), (v) => {
        const h = halfToNumber(numberToHalf(v));
        const next = Math.abs(halfToNumber(numberToHalf(v) + 1) - h);
        expect(Math.abs(h - v)).toBeLessThanOrEqual(next / 2 + 1e-12);
      }),
    );
  });
});

describe('int64 without BigInt per value', () => {
  it('writes and reads every safe integer exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger(), { minLength: 1, maxLength: 20 }), (values) => {
        const w = new Int64Writer(values.length);
        values.forEach((v, i) => w.set(i, v));
        expect([...w.array]).toEqual(values.map(BigInt));
        const read = int64Reader(w.array);
        expect(values.map((_, i) => read(i))).toEqual(values);
      }),
    );
  });
});
