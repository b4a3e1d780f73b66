import fs from 'node:fs';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import {
  failingClassifier,
  linearRegressor,
  logisticBinaryClassifier,
  slowClassifier,
  softmaxClassifier,
  zipMapClassifier,
} from '../../test/support/onnx-builder.js';
import { fixturePath } from '../../test/support/onnx-fixtures.js';
import { OnnxReadError, readOnnxModel } from './onnx-model-reader.js';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT64 = 7;

const readOrError = (bytes: Uint8Array) => {
  try {
    return readOnnxModel(bytes);
  } catch (err) {
    return err;
  }
};

describe('readOnnxModel', () => {
  it('reads the breast cancer fixture: IR version, producer, opsets, metadata, inputs and outputs', () => {
    const m = readOnnxModel(fs.readFileSync(fixturePath('breast_cancer_xgb.onnx')));
    expect(m.irVersion).toBeGreaterThan(0);
    expect(m.hasGraph).toBe(true);
    expect(m.opsets.length).toBeGreaterThan(0);
    expect(JSON.parse(m.metadata.feature_names)).toHaveLength(30);
    expect(m.inputs).toEqual([{ name: 'input', type: { kind: 'tensor', elemType: FLOAT, shape: [null, 30] } }]);
    expect(m.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(m.outputs[0].type).toMatchObject({ kind: 'tensor', elemType: INT64 });
    expect(m.outputs[1].type).toMatchObject({ kind: 'tensor', elemType: FLOAT, shape: [null, 2] });
  });

  it('reads every builder model, agreeing with what was built', () => {
    const models = {
      linear: linearRegressor({ weights: [1, 2], bias: 0, featureNames: ['a', 'b'], metadata: { owner: 'risk' } }),
      columns: linearRegressor({ weights: [1, 2], bias: 0, featureNames: ['a', 'b'], layout: 'columns', inputType: 'int64' }),
      logistic: logisticBinaryClassifier({ weights: [1, 2, 3], bias: 0 }),
      softmax: softmaxClassifier({ weights: [[1, 0, 0, 1]], bias: [0, 0, 0, 0] }),
      failing: failingClassifier(),
      slow: slowClassifier(),
      zipmap: zipMapClassifier(),
    };
    const read = Object.fromEntries(Object.entries(models).map(([k, b]) => [k, readOnnxModel(b)]));

    expect(read.linear).toMatchObject({
      irVersion: 8,
      producerName: 'modelgate-test-builder',
      producerVersion: '1',
      opsets: [{ domain: '', version: 15 }],
      metadata: { feature_names: '["a","b"]', owner: 'risk' },
      inputs: [{ name: 'input', type: { kind: 'tensor', elemType: FLOAT, shape: ['N', 2] } }],
      outputs: [{ name: 'variable', type: { kind: 'tensor', elemType: FLOAT, shape: ['N', 1] } }],
    });
    expect(read.columns.inputs).toEqual([
      { name: 'a', type: { kind: 'tensor', elemType: INT64, shape: ['N', 1] } },
      { name: 'b', type: { kind: 'tensor', elemType: INT64, shape: ['N', 1] } },
    ]);
    for (const k of ['logistic', 'failing', 'slow']) {
      expect(read[k].outputs).toEqual([
        { name: 'label', type: { kind: 'tensor', elemType: INT64, shape: ['N'] } },
        { name: 'probabilities', type: { kind: 'tensor', elemType: FLOAT, shape: ['N', 2] } },
      ]);
    }
    expect(read.softmax.outputs[1].type).toEqual({ kind: 'tensor', elemType: FLOAT, shape: ['N', 4] });
    expect(read.zipmap.opsets).toEqual([
      { domain: '', version: 15 },
      { domain: 'ai.onnx.ml', version: 1 },
    ]);
    expect(read.zipmap.outputs[1]).toEqual({
      name: 'output_probability',
      type: { kind: 'sequence', elem: { kind: 'map', keyType: INT64, value: { kind: 'tensor', elemType: FLOAT } } },
    });
  });

  it('tells an unknown rank (no shape) from a scalar (a shape of no dimensions) and reads negative int64 values', () => {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      graph: {
        input: [
          { name: 'unranked', type: { tensorType: { elemType: FLOAT } } },
          { name: 'scalar', type: { tensorType: { elemType: FLOAT, shape: { dim: [] } } } },
          { name: 'odd', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: -3 }, {}] } } } },
        ],
      },
    });
    const m = readOnnxModel(onnx.ModelProto.encode(model).finish());
    expect(m.inputs.map((i) => i.type)).toEqual([
      { kind: 'tensor', elemType: FLOAT },
      { kind: 'tensor', elemType: FLOAT, shape: [] },
      { kind: 'tensor', elemType: FLOAT, shape: [-3, null] },
    ]);
  });

  it('reports a file cut anywhere inside a field as truncated', () => {
    const bytes = logisticBinaryClassifier({ weights: [1, 2, 3], bias: 0, featureNames: ['a', 'b', 'c'] });
    let truncated = 0;
    for (let n = 1; n < bytes.length; n++) {
      const r = readOrError(bytes.subarray(0, n));
      if (r instanceof OnnxReadError) {
        expect(r.kind).toBe('truncated');
        truncated++;
      }
    }
    expect(truncated).toBeGreaterThan(bytes.length * 0.9);
  });

  it('refuses garbage with an OnnxReadError or reads nothing useful, and never hangs or overflows', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const r = readOrError(bytes);
        if (r instanceof Error) expect(r).toBeInstanceOf(OnnxReadError);
      }),
      { numRuns: 2000 },
    );
  });

  it('survives random corruption of a real model', () => {
    const bytes = softmaxClassifier({ weights: [[1, 2], [3, 4]], bias: [0, 0] });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const copy = Uint8Array.from(bytes);
        for (const [at, v] of edits) copy[at] = v;
        const r = readOrError(copy);
        if (r instanceof Error) expect(r).toBeInstanceOf(OnnxReadError);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses types nested absurdly deep instead of recursing without bound', () => {
    let type: Record<string, unknown> = { tensorType: { elemType: FLOAT } };
    for (let i = 0; i < 200; i++) type = { sequenceType: { elemType: type } };
    const model = onnx.ModelProto.create({ irVersion: 8, graph: { output: [{ name: 'deep', type }] } });
    const err = readOrError(onnx.ModelProto.encode(model).finish());
    expect(err).toBeInstanceOf(OnnxReadError);
    expect((err as OnnxReadError).message).toMatch(/nested more than/);
  });

  it('refuses a length that claims more bytes than the file has', () => {
    // graph (field 7, length-delimited) claiming 2^31 bytes
    const err = readOrError(Uint8Array.from([0x08, 0x08, 0x3a, 0x80, 0x80, 0x80, 0x80, 0x08]));
    expect(err).toBeInstanceOf(OnnxReadError);
    expect((err as OnnxReadError).message).toMatch(/claims 2147483648 bytes/);
  });

  it('refuses a varint longer than ten bytes and wire types onnx.proto never uses', () => {
    expect(readOrError(Uint8Array.from([0x08, ...new Array(11).fill(0xff), 0x01]))).toMatchObject({ kind: 'malformed' });
    expect(readOrError(Uint8Array.from([0x0b]))).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/wire type 3/) });
  });
});
