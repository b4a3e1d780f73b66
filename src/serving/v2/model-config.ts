import type { TensorSpec, V2Datatype } from '../../onnx/model-signature.js';

/** Triton's `TYPE_*` names for the V2 datatypes. */
const TRITON_TYPE: Record<V2Datatype, string> = {
  BOOL: 'TYPE_BOOL', UINT8: 'TYPE_UINT8', UINT16: 'TYPE_UINT16', UINT32: 'TYPE_UINT32', UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8', INT16: 'TYPE_INT16', INT32: 'TYPE_INT32', INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16', FP32: 'TYPE_FP32', FP64: 'TYPE_FP64', BYTES: 'TYPE_STRING',
};

export interface ConfigSource {
  name: string;
  versions: number[];
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** Micro-batched (a tabular version): requests of rows are stacked along the first dimension. */
  batched: boolean;
  maxBatchRows: number;
  maxWaitMs: number;
}

/**
 * The model configuration extension in Triton's shape, as far as it
 * applies: a batched model declares `max_batch_size` and leaves the batch
 * dimension out of `dims` (Triton's rule), with `dynamic_batching` set from
 * the micro-batcher; any other model has `max_batch_size` 0 and full dims.
 */
export function modelConfig(s: ConfigSource) {
  const batched = s.batched && [...s.inputs, ...s.outputs].every((t) => t.shape.length > 0 && t.shape[0] === -1);
  const io = (t: TensorSpec) => ({ name: t.name, data_type: TRITON_TYPE[t.datatype], dims: batched ? t.shape.slice(1) : t.shape });
  return {
    name: s.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    version_policy: { specific: { versions: s.versions.map(String) } },
    max_batch_size: batched ? s.maxBatchRows : 0,
    input: s.inputs.map(io),
    output: s.outputs.map(io),
    ...(batched ? { dynamic_batching: { max_queue_delay_microseconds: Math.round(s.maxWaitMs * 1000) } } : {}),
  };
}
