import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadProtos, servedInferenceService } from './grpc-server.js';
import { encodeRawInferResponse, isRawInferResponse, type RawInferResponse } from './infer-response-encoder.js';

const service = loadProtos().inference.GRPCInferenceService.service;
const generic = service.ModelInfer.responseSerialize as (m: unknown) => Buffer;
const decode = service.ModelInfer.responseDeserialize as (b: Buffer) => unknown;

const param = fc.oneof(
  fc.record({ bool_param: fc.boolean() }),
  fc.record({ int64_param: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }) }),
  fc.record({ string_param: fc.string({ unit: 'grapheme', maxLength: 40 }) }),
);
const response: fc.Arbitrary<RawInferResponse> = fc.record({
  model_name: fc.string({ minLength: 1, maxLength: 30 }),
  model_version: fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(String),
  id: fc.string({ maxLength: 40 }),
  parameters: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), param, { maxKeys: 4 }),
  outputs: fc.array(
    fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), datatype: fc.constantFrom('FP32', 'INT64', 'BYTES', 'FP16'), shape: fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 4 }) }),
    { maxLength: 4 },
  ),
  raw_output_contents: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }),
});

describe('the one-pass ModelInferResponse encoder', () => {
  it('writes bytes that decode to what protobuf.js writes, for any raw answer', () => {
    fc.assert(
      fc.property(response, (m) => {
        expect(decode(encodeRawInferResponse(m))).toEqual(decode(generic(m)));
      }),
      { numRuns: 500 },
    );
  });

  it('is used only for raw answers; typed contents go through the generic serializer', () => {
    const typed = { model_name: 'm', model_version: '1', id: '', parameters: {}, outputs: [{ name: 'y', datatype: 'FP32', shape: [1], contents: { fp32_contents: [0.5] } }], raw_output_contents: [] };
    expect(isRawInferResponse(typed)).toBe(false);
    const served = servedInferenceService(loadProtos()).ModelInfer.responseSerialize as (m: unknown) => Buffer;
    expect(decode(served(typed))).toMatchObject({ outputs: [{ contents: { fp32_contents: [0.5] } }] });
    const raw = { ...typed, outputs: [{ name: 'y', datatype: 'FP32', shape: [1] }], raw_output_contents: [Buffer.from(new Float32Array([0.5]).buffer)] };
    expect(isRawInferResponse(raw)).toBe(true);
    expect(served(raw)).toEqual(encodeRawInferResponse(raw));
  });
});
