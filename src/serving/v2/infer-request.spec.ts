import { describe, expect, it } from 'vitest';
import { parseInferRequest } from './infer-request.js';

const fp32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

describe('parseInferRequest', () => {
  it('takes a JSON document already parsed', () => {
    const r = parseInferRequest({ id: 'a', inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }, undefined);
    expect(r).toMatchObject({ id: 'a', binaryOutput: false, classification: 0, outputs: undefined });
    expect(r.inputs[0].data).toEqual([1]);
  });

  it('splits a binary body into the JSON header and each input its binary_data_size bytes, in order', () => {
    const head = Buffer.from(JSON.stringify({
      inputs: [
        { name: 'a', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } },
        { name: 'b', shape: [1], datatype: 'FP32', data: [3] },
        { name: 'c', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } },
      ],
      parameters: { binary_data_output: true },
    }));
    const r = parseInferRequest(Buffer.concat([head, fp32([1, 2]), fp32([9])]), String(head.length));
    expect(r.binaryOutput).toBe(true);
    expect(new Float32Array(new Uint8Array(r.inputs[0].raw!).buffer)).toEqual(new Float32Array([1, 2]));
    expect(r.inputs[1].data).toEqual([3]);
    expect(new Float32Array(new Uint8Array(r.inputs[2].raw!).buffer)).toEqual(new Float32Array([9]));
  });

  it('reads a body with no header length as all JSON', () => {
    const r = parseInferRequest(Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] })), undefined);
    expect(r.inputs[0].name).toBe('x');
  });

  it.each<[string, unknown, string | undefined, RegExp]>([
    ['a null beside a valid input', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }, null] }, undefined, /inputs\[1\].*null/],
    ['an input given twice', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }, { name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }, undefined, /twice/],
    ['an input with neither data nor binary size', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32' }] }, undefined, /data must be an array/],
    ['a classification that is not a count', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }], outputs: [{ name: 'y', parameters: { classification: 'two' } }] }, undefined, /classification/],
    ['no inputs', { inputs: [] }, undefined, /non-empty/],
  ])('refuses %s', (_what, body, header, message) => {
    expect(() => parseInferRequest(body, header)).toThrow(message);
  });

  it('refuses binary sizes that overrun the body or leave bytes unclaimed', () => {
    const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }] }));
    expect(() => parseInferRequest(Buffer.concat([head, Buffer.alloc(2)]), String(head.length))).toThrow(/runs past/);
    expect(() => parseInferRequest(Buffer.concat([head, Buffer.alloc(6)]), String(head.length))).toThrow(/no input claims/);
    expect(() => parseInferRequest(head, String(head.length + 1))).toThrow(/Inference-Header-Content-Length/);
  });

  it('lets a per-output binary_data override the request default', () => {
    const r = parseInferRequest(
      { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }], parameters: { binary_data_output: true }, outputs: [{ name: 'y', parameters: { binary_data: false } }, { name: 'z' }] },
      undefined,
    );
    expect(r.outputs).toEqual([{ name: 'y', binary: false, classification: 0 }, { name: 'z', binary: true, classification: 0 }]);
  });

  it('reads parameters.explain_features as a bool or the strings "true" and "false", in a JSON body or a binary one, and refuses anything else', () => {
    const inputs = [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }];
    expect(parseInferRequest({ inputs }, undefined).explainFeatures).toBe(false);
    expect(parseInferRequest({ inputs, parameters: { explain_features: true } }, undefined).explainFeatures).toBe(true);
    expect(parseInferRequest({ inputs, parameters: { explain_features: 'true' } }, undefined).explainFeatures).toBe(true);
    expect(parseInferRequest({ inputs, parameters: { explain_features: 'false' } }, undefined).explainFeatures).toBe(false);
    const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }], parameters: { explain_features: true } }));
    expect(parseInferRequest(Buffer.concat([head, fp32([1])]), String(head.length)).explainFeatures).toBe(true);
    for (const bad of [1, 'yes', null]) {
      expect(() => parseInferRequest({ inputs, parameters: { explain_features: bad } }, undefined)).toThrow(/explain_features must be true or false/);
    }
  });
});
