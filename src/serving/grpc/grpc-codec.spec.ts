import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { inferRequestFromGrpc, inferResponseToGrpc } from './grpc-codec.js';

describe('gRPC codec', () => {
  it('reads typed contents by datatype, BYTES as UTF-8, and scalar parameters from their oneof', () => {
    const r = inferRequestFromGrpc({
      model_name: 'm',
      parameters: { classification: { parameter_choice: 'int64_param', int64_param: '2' } },
      inputs: [
        { name: 'a', datatype: 'INT64', shape: ['2'], contents: { int64_contents: ['1', '-2'] } },
        { name: 's', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('hé')] } },
      ],
    });
    expect(Array.from(new BigInt64Array(r.inputs[0].raw!.buffer))).toEqual([1n, -2n]);
    expect(r.inputs[1].data).toEqual(['hé']);
    expect(r.classification).toBe(2);
  });

  it('gives input i the bytes of raw_input_contents[i], and refuses a count that does not match', () => {
    const raw = Buffer.from(new Float32Array([1, 2]).buffer);
    const r = inferRequestFromGrpc({ model_name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }], raw_input_contents: [raw] });
    expect(r.inputs[0].raw).toBe(raw);
    expect(() => inferRequestFromGrpc({ model_name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }, { name: 'y', datatype: 'FP32', shape: [2] }], raw_input_contents: [raw] })).toThrow(/one per input/);
    expect(() => inferRequestFromGrpc({ model_name: 'm', inputs: [{ name: 'h', datatype: 'FP16', shape: [1], contents: {} }] })).toThrow(/raw_input_contents/);
  });

  it('answers raw outputs for raw requests and for FP16, typed ones otherwise, with the ids as one string parameter', () => {
    const base = { model: 'm', version: 3, variant: 'v3', fallback: false, predictionIds: ['a', 'b'] };
    const f = { name: 'y', tensor: new ort.Tensor('float32', new Float32Array([1, 2]), [2]), binary: false, classification: 0 };
    const typed = inferResponseToGrpc({ ...base, outputs: [f] }, 'id', false);
    expect(typed.outputs[0]).toEqual({ name: 'y', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1, 2] } });
    expect(typed.parameters.prediction_ids).toEqual({ string_param: 'a,b' });
    const raw = inferResponseToGrpc({ ...base, outputs: [f] }, undefined, true);
    expect(raw.outputs[0]).toEqual({ name: 'y', datatype: 'FP32', shape: [2] });
    expect(raw.raw_output_contents[0].length).toBe(8);
    const half = inferResponseToGrpc({ ...base, outputs: [{ ...f, tensor: new ort.Tensor('float16', new Uint16Array([0x3c00]), [1]) }] }, undefined, false);
    expect(half.raw_output_contents).toHaveLength(1);
  });

  it('reads explain_features from a bool_param or a string_param "true"', () => {
    const input = [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }];
    const asked = (p?: Record<string, unknown>) => inferRequestFromGrpc({ model_name: 'm', inputs: input, parameters: p as any }).explainFeatures;
    expect(asked()).toBe(false);
    expect(asked({ explain_features: { parameter_choice: 'bool_param', bool_param: true } })).toBe(true);
    expect(asked({ explain_features: { parameter_choice: 'string_param', string_param: 'true' } })).toBe(true);
    expect(() => asked({ explain_features: { parameter_choice: 'int64_param', int64_param: '1' } })).toThrow(/explain_features/);
  });

  it('carries a BYTES output of JSON strings as bytes_contents, or length-prefixed in raw_output_contents', () => {
    const json = ['{"a":{"value":1,"source":"store","age_ms":5}}', '{"a":{"value":"é","source":"sent","age_ms":null}}'];
    const out = { model: 'm', version: 1, variant: 'v1', fallback: false, predictionIds: ['a', 'b'] };
    const f = { name: 'features', tensor: new ort.Tensor('string', json, [2]), binary: false, classification: 0 };
    const typed = inferResponseToGrpc({ ...out, outputs: [f] }, undefined, false);
    expect(typed.outputs[0]).toEqual({ name: 'features', datatype: 'BYTES', shape: [2], contents: { bytes_contents: json.map((s) => Buffer.from(s)) } });
    const raw = inferResponseToGrpc({ ...out, outputs: [f] }, undefined, true).raw_output_contents[0];
    const first = raw.readUInt32LE(0);
    expect(raw.toString('utf8', 4, 4 + first)).toBe(json[0]);
    expect(raw.toString('utf8', 8 + first)).toBe(json[1]);
  });
});
