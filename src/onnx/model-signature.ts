/** Tensor element types by their Open Inference Protocol (KServe V2) names. */
export type V2Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64'
  | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

export interface TensorSpec {
  name: string;
  datatype: V2Datatype;
  /** -1 for a dimension the graph leaves open (batch). */
  shape: number[];
}

/** What the ONNX graph declares, stored with the version. */
export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface OnnxModelInfo {
  signature: ModelSignature;
  /** The model's `metadata_props` (e.g. `feature_names`, a JSON array string). */
  metadata: Record<string, string>;
  producer: { name: string; version: string };
  irVersion: number;
  opsets: Record<string, number>;
}

/** `tensor`: any graph, outputs returned by name with no score or label decoding. */
export type ModelTask = 'binary_classification' | 'multiclass_classification' | 'regression' | 'tensor';

/** Which output (and column of it) is the positive-class score; from upload metadata `score_output`. */
export interface ScoreOutput {
  output: string;
  column?: number;
}
