import onnxProto from 'onnx-proto';
import { ONNX_ELEM_TYPE_OF_V2 } from '../../src/onnx/datatypes.js';
import type { V2Datatype } from '../../src/onnx/model-signature.js';

const { onnx } = onnxProto;

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

/**
 * An identity graph for one V2 datatype: `x` [N, 3] of that type comes
 * back as `y`; beside it a float `f` [N, 1] comes back as `value`, so the
 * graph also fits a regression model's outputs while the registry has no
 * `tensor` task to upload it under.
 */
export function identityGraph(datatype: V2Datatype): Buffer {
  const t = ONNX_ELEM_TYPE_OF_V2[datatype];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'modelgate-test-builder',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: `identity_${datatype.toLowerCase()}`,
      node: [
        { opType: 'Identity', input: ['x'], output: ['y'], name: 'id_x' },
        { opType: 'Identity', input: ['f'], output: ['value'], name: 'id_f' },
      ],
      input: [valueInfo('x', t, ['N', 3]), valueInfo('f', ONNX_ELEM_TYPE_OF_V2.FP32, ['N', 1])],
      output: [valueInfo('y', t, ['N', 3]), valueInfo('value', ONNX_ELEM_TYPE_OF_V2.FP32, ['N', 1])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/**
 * A tensor graph (INT64 `x` [N], not a feature matrix) that looks `x` up in
 * a table of `size` floats: it runs for indices below `size` and fails in
 * onnxruntime for any other, like a model hitting a bug on some input.
 */
export function lookupGraph(size: number): Buffer {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'modelgate-test-builder',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: `lookup_${size}`,
      node: [{ opType: 'Gather', input: ['table', 'x'], output: ['value'], name: 'gather', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }],
      initializer: [{ name: 'table', dims: [size], dataType: ONNX_ELEM_TYPE_OF_V2.FP32, floatData: Array.from({ length: size }, (_, i) => i + 0.5) }],
      input: [valueInfo('x', ONNX_ELEM_TYPE_OF_V2.INT64, ['N'])],
      output: [valueInfo('value', ONNX_ELEM_TYPE_OF_V2.FP32, ['N'])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
