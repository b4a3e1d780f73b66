import type { InferenceSession } from 'onnxruntime-node';
import { ONNX_ELEM_TYPE_OF_V2, v2DatatypeOf } from './datatypes.js';
import type { ModelSignature, TensorSpec } from './model-signature.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { ONNX_ELEM_TYPES, type OnnxType, type OnnxValueInfo } from './onnx-model-reader.js';

type Role = 'input' | 'output';

/**
 * The signature onnxruntime reports for a loaded session, checked against
 * what the graph declares when `declared` is given (upload inspection).
 * Refuses what the gateway cannot carry: non-tensor values (onnxruntime-node
 * cannot return them), element types without a V2 datatype, inputs of
 * unknown rank.
 */
export function signatureOf(
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  declared?: { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] },
): ModelSignature {
  return {
    inputs: session.inputMetadata.map((m) => specOf('input', m, declared?.inputs)),
    outputs: session.outputMetadata.map((m) => specOf('output', m, declared?.outputs)),
  };
}

function specOf(role: Role, meta: InferenceSession.ValueMetadata, declared: OnnxValueInfo[] | undefined): TensorSpec {
  const graph = declared?.find((d) => d.name === meta.name);
  if (declared && !graph) {
    throw new InvalidOnnxModel(`onnxruntime reports ${role} "${meta.name}", which the graph does not declare`, 'signature_mismatch', {
      [role]: meta.name,
    });
  }
  if (!meta.isTensor || (graph && graph.type.kind !== 'tensor')) throw nonTensor(role, meta.name, graph?.type);
  const datatype = v2DatatypeOf(meta.type);
  if (!datatype) {
    throw new InvalidOnnxModel(
      `${role} "${meta.name}" has the element type ${meta.type}, which the Open Inference Protocol cannot carry`,
      'unsupported_datatype',
      { [role]: meta.name, element_type: meta.type },
    );
  }
  const shape = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  if (graph?.type.kind === 'tensor') {
    if (graph.type.elemType !== ONNX_ELEM_TYPE_OF_V2[datatype]) {
      const declaredType = ONNX_ELEM_TYPES[graph.type.elemType] ?? String(graph.type.elemType);
      throw new InvalidOnnxModel(
        `${role} "${meta.name}" is declared as ${declaredType} but onnxruntime loads it as ${meta.type}`,
        'signature_mismatch',
        { [role]: meta.name },
      );
    }
    if (graph.type.shape === undefined && role === 'input') {
      throw new InvalidOnnxModel(
        `input "${meta.name}" has no declared shape (not even a rank), so requests cannot be checked against it: ` +
          're-export the model with the input shape set (e.g. [None, n_features])',
        'unknown_rank',
        { input: meta.name },
      );
    }
    const dims = graph.type.shape;
    if (dims && (dims.length !== shape.length || dims.some((d, i) => (typeof d === 'number' && d >= 0 ? d : -1) !== shape[i]))) {
      throw new InvalidOnnxModel(
        `${role} "${meta.name}" is declared with shape ${JSON.stringify(dims)} but onnxruntime reports ${JSON.stringify(meta.shape)}`,
        'signature_mismatch',
        { [role]: meta.name },
      );
    }
  }
  return { name: meta.name, datatype, shape };
}

function nonTensor(role: Role, name: string, type: OnnxType | undefined): InvalidOnnxModel {
  const what = describeType(type);
  const zipMap = type?.kind === 'map' || (type?.kind === 'sequence' && type.elem?.kind === 'map');
  const message = zipMap
    ? `${role} "${name}" is ${what} (a scikit-learn ZipMap), which onnxruntime-node cannot return: ` +
      're-export the model with zipmap=False (skl2onnx: options={id(model): {"zipmap": False}}) so probabilities come out as one [N, classes] tensor'
    : `${role} "${name}" is ${what}, not a tensor; onnxruntime-node and the Open Inference Protocol carry tensors only` +
      ' (for a scikit-learn classifier, re-export with zipmap=False)';
  return new InvalidOnnxModel(message, 'non_tensor_value', { [role]: name, type: what });
}

function describeType(type: OnnxType | undefined, plural = false): string {
  const elem = (n: number) => ONNX_ELEM_TYPES[n] ?? `type ${n}`;
  switch (type?.kind) {
    case 'tensor':
      return plural ? `${elem(type.elemType)} tensors` : `a ${elem(type.elemType)} tensor`;
    case 'map': {
      const value = type.value?.kind === 'tensor' ? elem(type.value.elemType) : describeType(type.value, true);
      return `${plural ? 'maps' : 'a map'} (${elem(type.keyType)} to ${value})`;
    }
    case 'sequence':
      return `${plural ? 'sequences' : 'a sequence'} of ${describeType(type.elem, true)}`;
    case 'optional':
      return `${plural ? 'optional' : 'an optional'} ${describeType(type.elem, plural)}`;
    case 'sparse_tensor':
      return plural ? 'sparse tensors' : 'a sparse tensor';
    default:
      return plural ? 'values' : 'a non-tensor value';
  }
}
