import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { answerBody, classify, encodeAnswer } from './infer-response.js';

describe('infer answers', () => {
  it('ranks each row best first as "value:index"', () => {
    const t = classify('p', new ort.Tensor('float32', new Float32Array([0.25, 0.5, 0.25, 0.75, 0.125, 0.125]), [2, 3]), 2);
    expect(t.dims).toEqual([2, 2]);
    expect(t.data).toEqual(['0.5:1', '0.25:0', '0.75:0', '0.125:1']);
  });

  it('writes binary outputs after the JSON header and says how long the header is', () => {
    const encoded = encodeAnswer({ model_name: 'm', model_version: '1', parameters: {} }, [
      { name: 'a', tensor: new ort.Tensor('float32', new Float32Array([1, 2]), [2]), binary: true, classification: 0 },
      { name: 'b', tensor: new ort.Tensor('int32', new Int32Array([7]), [1]), binary: false, classification: 0 },
    ]);
    const wire = answerBody(encoded);
    expect(wire.contentType).toBe('application/octet-stream');
    const header = JSON.parse(wire.body.toString('utf8', 0, wire.headerLength));
    expect(header.outputs).toEqual([
      { name: 'a', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } },
      { name: 'b', shape: [1], datatype: 'INT32', data: [7] },
    ]);
    expect(Array.from(new Float32Array(new Uint8Array(wire.body.subarray(wire.headerLength!)).buffer))).toEqual([1, 2]);
  });

  it('writes the header in UTF-8 bytes and every binary output after it, in order', () => {
    const encoded = encodeAnswer({ model_name: 'modèle-ü', model_version: '1', id: 'zß😀', parameters: { variant: 'é' } }, [
      { name: 'a', tensor: new ort.Tensor('float32', new Float32Array([1.5]), [1]), binary: true, classification: 0 },
      { name: 'b', tensor: new ort.Tensor('string', ['ñ', 'x'], [2]), binary: true, classification: 0 },
    ]);
    const wire = answerBody(encoded);
    const text = JSON.stringify(encoded.header);
    expect(wire.headerLength).toBe(Buffer.byteLength(text));
    expect(wire.body).toEqual(Buffer.concat([Buffer.from(text), ...encoded.binary]));
  });

  it('answers plain JSON when no output is binary', () => {
    const wire = answerBody(encodeAnswer({ model_name: 'm', model_version: '1', parameters: {} }, []));
    expect(wire.contentType).toBe('application/json');
    expect(wire.headerLength).toBeUndefined();
  });
});
