import ort from 'onnxruntime-node';
import { ortTypeOf } from '../onnx/datatypes.js';
import type { TensorSpec, V2Datatype } from '../onnx/model-signature.js';
import type { LoadedVersion } from './loaded-version.js';

type ZeroArray = (n: number) => ort.Tensor.DataType;

/**
 * A zero-filled typed array per datatype of the Open Inference Protocol's
 * table. Feeding another type (float32 for an INT8 input, say) makes
 * onnxruntime refuse the run, and a version that cannot warm up never loads.
 */
const ZEROS: Record<V2Datatype, ZeroArray> = {
  BOOL: (n) => new Uint8Array(n),
  UINT8: (n) => new Uint8Array(n),
  UINT16: (n) => new Uint16Array(n),
  UINT32: (n) => new Uint32Array(n),
  UINT64: (n) => new BigUint64Array(n),
  INT8: (n) => new Int8Array(n),
  INT16: (n) => new Int16Array(n),
  INT32: (n) => new Int32Array(n),
  INT64: (n) => new BigInt64Array(n),
  // onnxruntime-node carries float16 as the half-precision bits in a Uint16Array; zero bits are 0.0.
  FP16: (n) => new Uint16Array(n),
  FP32: (n) => new Float32Array(n),
  FP64: (n) => new Float64Array(n),
  BYTES: (n) => new Array<string>(n).fill(''),
};

/** A zero tensor of an input's datatype and shape, free dimensions set to 1. */
export function zeroTensor(spec: TensorSpec): ort.Tensor {
  const dims = spec.shape.map((d) => (d < 0 ? 1 : d));
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor(ortTypeOf(spec.datatype) as any, ZEROS[spec.datatype](n) as any, dims);
}

/** One inference on zeros, so the first real request does not pay for lazy initialisation. */
export async function warmUp(v: LoadedVersion): Promise<void> {
  if (v.tabular) {
    const data = v.allocate(1);
    const { results, offset } = await v.infer(data, 1);
    v.decode(results, offset, 1);
    return;
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of v.spec.signature.inputs) feeds[input.name] = zeroTensor(input);
  await v.run(feeds);
}
