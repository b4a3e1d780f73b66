import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../common/errors.js';
import type { TensorSpec } from './model-signature.js';
import { tensorFromV2, tensorRowValue, tensorToV2 } from './v2-tensors.js';

const INPUT: TensorSpec = { name: 'input', datatype: 'FP32', shape: [-1, 3] };

function refusal(input: Parameters<typeof tensorFromV2>[0], spec: TensorSpec = INPUT): ValidationFailed {
  try {
    tensorFromV2(input, spec);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationFailed);
    expect((err as ValidationFailed).code).toBe('VALIDATION_FAILED');
    expect((err as ValidationFailed).details.input).toBe(spec.name);
    return err as ValidationFailed;
  }
  throw new Error('expected a refusal');
}

describe('tensorFromV2', () => {
  it('builds a tensor from flat data', () => {
    const t = tensorFromV2({ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, INPUT);
    expect(t.type).toBe('float32');
    expect(t.dims).toEqual([2, 3]);
    expect([...(t.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads flat FP32 and FP64 data exactly as the general walk does, and refuses what it cannot store the same way', () => {
    const values = [0.1, -2.5e-8, 1e39, 3, -0, 123456.789];
    const f32 = tensorFromV2({ name: 'input', datatype: 'FP32', shape: [2, 3], data: values }, INPUT);
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect([...(f32.data as Float32Array)]).toEqual([...Float32Array.from(values)]);
    const f64 = tensorFromV2({ name: 'x', datatype: 'FP64', shape: [2, 3], data: values }, { name: 'x', datatype: 'FP64', shape: [-1, 3] });
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect([...(f64.data as Float64Array)]).toEqual(values);
    expect(refusal({ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, '5', 6] }).message).toBe('input "input": data[4] must be a number, not the string "5"');
    expect(refusal({ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, null, 6] }).details.index).toBe(4);
    expect(refusal({ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5] }).message).toContain('data has 5 values but shape [2,3] needs 6');
    expect(refusal({ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6, 7] }).message).toContain('data has 7 values but shape [2,3] needs 6');
    const mixed = tensorFromV2({ name: 'input', datatype: 'FP32', shape: [1, 3], data: [1, [2], 3] }, INPUT);
    expect([...(mixed.data as Float32Array)]).toEqual([1, 2, 3]);
  });

  it('flattens nested data in row-major order', () => {
    const t = tensorFromV2({ name: 'input', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3], [4, 5, 6]] }, INPUT);
    expect([...(t.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each<[TensorSpec['datatype'], unknown[], unknown[]]>([
    ['FP64', [0.1, -2.5], [0.1, -2.5]],
    ['INT64', [-(2 ** 40), 2 ** 52], [-(2n ** 40n), 2n ** 52n]],
    ['UINT64', [0, 2 ** 50], [0n, 2n ** 50n]],
    ['INT32', [-5, 7], [-5, 7]],
    ['UINT8', [0, 255], [0, 255]],
    ['BOOL', [true, false], [1, 0]],
    ['BYTES', ['a', 'ü'], ['a', 'ü']],
    ['FP16', [1.5, -0.25], [0x3e00, 0xb400]],
  ])('converts %s values', (datatype, data, stored) => {
    const t = tensorFromV2({ name: 'x', datatype, shape: [2], data }, { name: 'x', datatype, shape: [-1] });
    expect([...(t.data as ArrayLike<unknown> as unknown[])]).toEqual(stored);
  });

  it.each<[string, Parameters<typeof tensorFromV2>[0], RegExp]>([
    ['a datatype other than the model’s', { name: 'input', datatype: 'FP64', shape: [1, 3], data: [1, 2, 3] }, /datatype "FP64" does not match the model's FP32/],
    ['a wrong feature count', { name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }, /shape \[1,4\] does not match the model's \[-1,3\]/],
    ['a wrong rank', { name: 'input', datatype: 'FP32', shape: [3], data: [1, 2, 3] }, /shape \[3\] does not match/],
    ['a negative dimension', { name: 'input', datatype: 'FP32', shape: [-1, 3], data: [1, 2, 3] }, /non-negative integers/],
    ['a shape that is not an array', { name: 'input', datatype: 'FP32', shape: '1,3', data: [1, 2, 3] }, /shape must be an array/],
    ['too few values', { name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3] }, /data has 3 values but shape \[2,3\] needs 6/],
    ['too many values', { name: 'input', datatype: 'FP32', shape: [1, 3], data: [[1, 2, 3], [4]] }, /data has 4 values but shape \[1,3\] needs 3/],
    ['data that is not an array', { name: 'input', datatype: 'FP32', shape: [1, 3], data: 'abc' }, /data must be an array/],
    ['a string among numbers', { name: 'input', datatype: 'FP32', shape: [1, 3], data: [1, '2', 3] }, /data\[1\] must be a number, not the string "2"/],
    ['null among numbers', { name: 'input', datatype: 'FP32', shape: [1, 3], data: [1, null, 3] }, /data\[1\] must be a number, not null/],
    ['a huge shape with little data', { name: 'input', datatype: 'FP32', shape: [1e9, 3], data: [1, 2, 3] }, /needs 3000000000/],
  ])('refuses %s with a message naming the input', (_label, input, message) => {
    const err = refusal(input);
    expect(err.message).toMatch(/^input "input": /);
    expect(err.message).toMatch(message);
  });

  it.each<[TensorSpec['datatype'], unknown, RegExp]>([
    ['INT64', 1.5, /must be an integer for INT64, not 1.5/],
    ['INT64', 2 ** 60, /outside the INT64 range .* that JSON numbers carry exactly/],
    ['INT32', 2 ** 31, /outside the INT32 range/],
    ['UINT8', -1, /outside the UINT8 range \[0, 255\]/],
    ['BOOL', 1, /must be true or false, not number 1/],
    ['BYTES', 5, /must be a string, not number 5/],
  ])('refuses a %s value %s', (datatype, value, message) => {
    const spec: TensorSpec = { name: 'x', datatype, shape: [-1] };
    expect(refusal({ name: 'x', datatype, shape: [1], data: [value] }, spec).message).toMatch(message);
  });
});

describe('tensorToV2', () => {
  it('writes shape, datatype and flat data', () => {
    expect(tensorToV2('probabilities', new ort.Tensor('float32', Float32Array.from([0.5, 0.25]), [1, 2]))).toEqual({
      name: 'probabilities',
      shape: [1, 2],
      datatype: 'FP32',
      data: [0.5, 0.25],
    });
  });

  it('turns int64 into numbers, keeping values beyond 2^53 exact as strings', () => {
    const t = new ort.Tensor('int64', BigInt64Array.from([1n, -7n, 2n ** 60n]), [3]);
    expect(tensorToV2('label', t)).toEqual({ name: 'label', shape: [3], datatype: 'INT64', data: [1, -7, '1152921504606846976'] });
  });

  it('writes booleans, strings and float16 as JSON values', () => {
    expect(tensorToV2('b', new ort.Tensor('bool', Uint8Array.from([1, 0]), [2])).data).toEqual([true, false]);
    expect(tensorToV2('s', new ort.Tensor('string', ['x', 'y'], [2])).data).toEqual(['x', 'y']);
    expect(tensorToV2('h', new ort.Tensor('float16', Uint16Array.from([0x3e00, 0xb400]), [2])).data).toEqual([1.5, -0.25]);
  });

  it('round-trips through tensorFromV2', () => {
    const spec: TensorSpec = { name: 'x', datatype: 'INT32', shape: [-1, 2] };
    const v2 = tensorToV2('x', tensorFromV2({ name: 'x', datatype: 'INT32', shape: [2, 2], data: [[1, 2], [3, 4]] }, spec));
    expect(v2).toEqual({ name: 'x', shape: [2, 2], datatype: 'INT32', data: [1, 2, 3, 4] });
  });
});

describe('tensorRowValue', () => {
  it('gives a scalar for [N], an array for [N, K] and nested arrays beyond', () => {
    expect(tensorRowValue(new ort.Tensor('float32', Float32Array.from([1, 2]), [2]), 1)).toBe(2);
    expect(tensorRowValue(new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]), 1)).toEqual([3, 4]);
    expect(tensorRowValue(new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2]), 1)).toEqual([[5, 6], [7, 8]]);
  });
});
