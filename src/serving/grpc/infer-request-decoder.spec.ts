import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inferRequestFromGrpc } from './grpc-codec.js';
import { loadProtos } from './grpc-server.js';
import { decodeRawInferRequest } from './infer-request-decoder.js';

const infer = loadProtos().inference.GRPCInferenceService.service.ModelInfer;
const encode = infer.requestSerialize as (m: unknown) => Buffer;
const generic = infer.requestDeserialize as (b: Buffer) => any;

const param = fc.oneof(
  fc.record({ bool_param: fc.boolean() }),
  fc.record({ int64_param: fc.integer({ min: 0, max: 2 ** 40 }) }),
  fc.record({ string_param: fc.string({ unit: 'grapheme', maxLength: 30 }) }),
);
const params = fc.dictionary(fc.constantFrom('classification', 'sticky_key', 'binary_data_output', 'x', 'constructor'), param, { maxKeys: 3 });
const rawRequest = fc
  .record({
    model_name: fc.string({ maxLength: 20 }),
    model_version: fc.constantFrom('', '1', '12'),
    id: fc.string({ maxLength: 20 }),
    parameters: params,
    inputs: fc.uniqueArray(
      fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }), datatype: fc.constantFrom('FP32', 'INT64', 'BYTES', 'FP16'), shape: fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 3 }), parameters: params }),
      { selector: (t) => t.name, minLength: 1, maxLength: 3 },
    ),
    outputs: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }), parameters: params }), { maxLength: 2 }),
  })
  .chain((m) => fc.record({ raw: fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: m.inputs.length, maxLength: m.inputs.length }) }).map(({ raw }) => ({ ...m, raw_input_contents: raw })));

/** What the handler reads of a decoded request. */
const seen = (m: any) => {
  let request: unknown;
  try {
    request = inferRequestFromGrpc(m);
  } catch (err) {
    request = { refused: (err as Error).message };
  }
  return { model_name: m.model_name, model_version: m.model_version, id: m.id, raw: m.raw_input_contents.length, request };
};

describe('the raw ModelInferRequest decoder', () => {
  it('gives the handler what the generic decoder gives it, for any request of raw tensors', () => {
    fc.assert(
      fc.property(rawRequest, (m) => {
        const bytes = encode(m);
        const fast = decodeRawInferRequest(bytes);
        expect(fast).toBeDefined();
        expect(seen(fast)).toEqual(seen(generic(bytes)));
      }),
      { numRuns: 500 },
    );
  });

  it('leaves typed contents, negative integers and truncated bytes to the generic decoder', () => {
    const typed = encode({ model_name: 'm', inputs: [{ name: 'a', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }] });
    expect(decodeRawInferRequest(typed)).toBeUndefined();
    const negative = encode({ model_name: 'm', parameters: { k: { int64_param: -1 } }, inputs: [{ name: 'a', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(4)] });
    expect(decodeRawInferRequest(negative)).toBeUndefined();
    const whole = encode({ model_name: 'model', inputs: [{ name: 'a', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(4)] });
    expect(decodeRawInferRequest(whole)).toBeDefined();
    for (let cut = 1; cut < whole.length; cut++) expect(() => decodeRawInferRequest(whole.subarray(0, cut))).not.toThrow();
  });
});
