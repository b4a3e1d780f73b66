import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import onnxProto from 'onnx-proto';

/**
 * Small, real ONNX models built in TypeScript for tests: each one loads and
 * runs in onnxruntime-node (src/onnx/onnx-builder.spec.ts proves it).
 */

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

export type InputType = 'float32' | 'float64' | 'int32' | 'int64';

export interface ModelOptions {
  /** Written to `metadata_props` as `feature_names` (a JSON array string); with `layout: 'columns'` also the input names. */
  featureNames?: string[];
  /** More `metadata_props`. */
  metadata?: Record<string, string>;
  /** The matrix input's name (default `input`). */
  inputName?: string;
  /** The element type of the inputs (default float32); cast to float inside the graph. */
  inputType?: InputType;
  /** One [N, F] input (default), or one [N, 1] input per feature. */
  layout?: 'matrix' | 'columns';
}

export interface LinearOptions extends ModelOptions {
  weights: number[];
  bias: number;
}

export interface SoftmaxOptions extends ModelOptions {
  /** F rows of C class weights. */
  weights: number[][];
  /** C biases. */
  bias: number[];
}

type Dim = number | string;
type INode = InstanceType<typeof onnx.NodeProto>;
type IValueInfo = InstanceType<typeof onnx.ValueInfoProto>;
type ITensor = InstanceType<typeof onnx.TensorProto>;

const ELEM: Record<InputType, number> = { float32: DT.FLOAT, float64: DT.DOUBLE, int32: DT.INT32, int64: DT.INT64 };

function tensorType(elemType: number, dims?: Dim[]) {
  return onnx.TypeProto.create({
    tensorType: {
      elemType,
      shape: dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
    },
  });
}

function valueInfo(name: string, elemType: number, dims?: Dim[]): IValueInfo {
  return onnx.ValueInfoProto.create({ name, type: tensorType(elemType, dims) });
}

type AttrValue = number | number[] | string | InstanceType<typeof onnx.GraphProto>;
function attr(name: string, value: AttrValue, kind: 'int' | 'ints' | 'float' | 'string' | 'graph') {
  switch (kind) {
    case 'int':
      return { name, type: AT.INT, i: value as number };
    case 'ints':
      return { name, type: AT.INTS, ints: value as number[] };
    case 'float':
      return { name, type: AT.FLOAT, f: value as number };
    case 'string':
      return { name, type: AT.STRING, s: Buffer.from(value as string) };
    case 'graph':
      return { name, type: AT.GRAPH, g: value as InstanceType<typeof onnx.GraphProto> };
  }
}

function node(opType: string, inputs: string[], outputs: string[], attributes: ReturnType<typeof attr>[] = [], domain = ''): INode {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, attribute: attributes, domain, name: `${opType}_${outputs[0]}` });
}

function floats(name: string, dims: number[], values: number[]): ITensor {
  return onnx.TensorProto.create({ name, dims, dataType: DT.FLOAT, floatData: values });
}

function int64s(name: string, dims: number[], values: number[]): ITensor {
  return onnx.TensorProto.create({ name, dims, dataType: DT.INT64, int64Data: values });
}

/** A graph under construction: nodes, initializers, inputs and outputs. */
class Graph {
  nodes: INode[] = [];
  initializers: ITensor[] = [];
  inputs: IValueInfo[] = [];
  outputs: IValueInfo[] = [];

  add(opType: string, inputs: string[], output: string, attributes: ReturnType<typeof attr>[] = [], domain = ''): string {
    this.nodes.push(node(opType, inputs, [output], attributes, domain));
    return output;
  }

  floats(name: string, dims: number[], values: number[]): string {
    this.initializers.push(floats(name, dims, values));
    return name;
  }

  int64s(name: string, dims: number[], values: number[]): string {
    this.initializers.push(int64s(name, dims, values));
    return name;
  }

  /** The model inputs, cast and joined into one float [N, F] value; returns its name. */
  features(width: number, opts: ModelOptions): string {
    const type = opts.inputType ?? 'float32';
    const asFloat = (name: string) => (type === 'float32' ? name : this.add('Cast', [name], `${name}_f`, [attr('to', DT.FLOAT, 'int')]));
    if ((opts.layout ?? 'matrix') === 'matrix') {
      const name = opts.inputName ?? 'input';
      this.inputs.push(valueInfo(name, ELEM[type], ['N', width]));
      return asFloat(name);
    }
    const names = opts.featureNames ?? Array.from({ length: width }, (_, i) => `f${i}`);
    if (names.length !== width) throw new Error(`${names.length} feature names for ${width} weights`);
    const columns = names.map((n) => {
      this.inputs.push(valueInfo(n, ELEM[type], ['N', 1]));
      return asFloat(n);
    });
    return this.add('Concat', columns, 'features', [attr('axis', 1, 'int')]);
  }

  /** The logit [N, 1] of a linear model. */
  linear(x: string, weights: number[], bias: number): string {
    const w = this.floats('W', [weights.length, 1], weights);
    const b = this.floats('B', [1], [bias]);
    return this.add('Add', [this.add('MatMul', [x, w], 'mm'), b], 'logit');
  }

  /** `label` int64 [N] and `probabilities` float [N, 2] from a logit [N, 1]. */
  binaryOutputs(logit: string): void {
    const p1 = this.add('Sigmoid', [logit], 'p1');
    const p0 = this.add('Sub', [this.floats('one', [1], [1]), p1], 'p0');
    this.add('Concat', [p0, p1], 'probabilities', [attr('axis', 1, 'int')]);
    const positive = this.add('Greater', [p1, this.floats('half', [1], [0.5])], 'positive');
    const label2d = this.add('Cast', [positive], 'label2d', [attr('to', DT.INT64, 'int')]);
    this.add('Reshape', [label2d, this.int64s('flat', [1], [-1])], 'label');
    this.outputs.push(valueInfo('label', DT.INT64, ['N']), valueInfo('probabilities', DT.FLOAT, ['N', 2]));
  }

  /** Column `index` of a float [N, F] value, as [N]. */
  column(x: string, index: number): string {
    return this.add('Gather', [x, this.int64s(`col${index}`, [], [index])], `${x}_col${index}`, [attr('axis', 1, 'int')]);
  }

  encode(opts: ModelOptions, name: string, opsets: Record<string, number> = { '': 15 }): Buffer {
    const metadata = { ...(opts.featureNames ? { feature_names: JSON.stringify(opts.featureNames) } : {}), ...opts.metadata };
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'modelgate-test-builder',
      producerVersion: '1',
      opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: { name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return Buffer.from(onnx.ModelProto.encode(model).finish());
  }
}

/** `variable` float [N, 1] = features · weights + bias. */
export function linearRegressor(opts: LinearOptions): Buffer {
  const g = new Graph();
  const x = g.features(opts.weights.length, opts);
  g.linear(x, opts.weights, opts.bias);
  g.add('Identity', ['logit'], 'variable');
  g.outputs.push(valueInfo('variable', DT.FLOAT, ['N', 1]));
  return g.encode(opts, 'linear_regressor');
}

/** Logistic regression shaped like the XGBoost fixture: `label` int64 [N] and `probabilities` float [N, 2]. */
export function logisticBinaryClassifier(opts: LinearOptions): Buffer {
  const g = new Graph();
  const x = g.features(opts.weights.length, opts);
  g.binaryOutputs(g.linear(x, opts.weights, opts.bias));
  return g.encode(opts, 'logistic_binary_classifier');
}

/** Multinomial logistic regression: `label` int64 [N] (argmax) and `probabilities` float [N, C]. */
export function softmaxClassifier(opts: SoftmaxOptions): Buffer {
  const g = new Graph();
  const f = opts.weights.length;
  const c = opts.bias.length;
  if (opts.weights.some((row) => row.length !== c)) throw new Error(`every weight row needs ${c} class weights`);
  const x = g.features(f, opts);
  const w = g.floats('W', [f, c], opts.weights.flat());
  const logits = g.add('Add', [g.add('MatMul', [x, w], 'mm'), g.floats('B', [c], opts.bias)], 'logits');
  g.add('Softmax', [logits], 'probabilities', [attr('axis', 1, 'int')]);
  g.add('ArgMax', ['probabilities'], 'label', [attr('axis', 1, 'int'), attr('keepdims', 0, 'int')]);
  g.outputs.push(valueInfo('label', DT.INT64, ['N']), valueInfo('probabilities', DT.FLOAT, ['N', c]));
  return g.encode(opts, 'softmax_classifier');
}

const DEFAULT_LINEAR: LinearOptions = { weights: [0.5, -0.25, 0.125], bias: 0 };

/**
 * A binary classifier that runs on ordinary rows but fails in onnxruntime
 * when feature 0 is >= 1000: a Gather whose index becomes 1 on a one-element
 * tensor.
 */
export function failingClassifier(opts: Partial<LinearOptions> = {}): Buffer {
  const o = { ...DEFAULT_LINEAR, ...opts };
  const g = new Graph();
  const x = g.features(o.weights.length, o);
  const big = g.add('GreaterOrEqual', [g.column(x, 0), g.floats('thousand', [], [1000])], 'big');
  const index = g.add('Cast', [big], 'index', [attr('to', DT.INT64, 'int')]);
  const zero = g.add('Gather', [g.floats('zero_table', [1], [0]), index], 'gathered', [attr('axis', 0, 'int')]);
  const zero2d = g.add('Unsqueeze', [zero, g.int64s('axis1', [1], [1])], 'gathered2d');
  g.binaryOutputs(g.add('Add', [g.linear(x, o.weights, o.bias), zero2d], 'logit_checked'));
  return g.encode(o, 'failing_classifier');
}

/**
 * A binary classifier that loads but fails in onnxruntime on any row whose
 * feature 0 is below 0.5, such as the zeros a warm-up feeds: the same
 * out-of-range Gather as failingClassifier, inverted.
 */
export function warmUpFailingClassifier(opts: Partial<LinearOptions> = {}): Buffer {
  const o = { ...DEFAULT_LINEAR, ...opts };
  const g = new Graph();
  const x = g.features(o.weights.length, o);
  const small = g.add('Less', [g.column(x, 0), g.floats('half_f0', [], [0.5])], 'small');
  const index = g.add('Cast', [small], 'index', [attr('to', DT.INT64, 'int')]);
  const zero = g.add('Gather', [g.floats('zero_table', [1], [0]), index], 'gathered', [attr('axis', 0, 'int')]);
  const zero2d = g.add('Unsqueeze', [zero, g.int64s('axis1', [1], [1])], 'gathered2d');
  g.binaryOutputs(g.add('Add', [g.linear(x, o.weights, o.bias), zero2d], 'logit_checked'));
  return g.encode(o, 'warm_up_failing_classifier');
}

/**
 * A binary classifier for one-row requests that runs when feature 0 is 0
 * and otherwise fails with a message naming it: the row's three features
 * are reshaped to [f0 + 3] elements. Each failing value words the
 * onnxruntime error differently.
 */
export function variedFailureClassifier(opts: Partial<LinearOptions> = {}): Buffer {
  const o = { ...DEFAULT_LINEAR, ...opts };
  const g = new Graph();
  const x = g.features(o.weights.length, o);
  const f0 = g.add('Reshape', [g.column(x, 0), g.int64s('one_dim', [1], [1])], 'f0_1');
  const shape = g.add('Cast', [g.add('Add', [f0, g.floats('three', [1], [3])], 'f0_plus_3')], 'target_shape', [attr('to', DT.INT64, 'int')]);
  const reshaped = g.add('Reshape', [x, shape], 'reshaped');
  const total = g.add('ReduceSum', [reshaped], 'total', [attr('keepdims', 0, 'int')]);
  const zero = g.add('Mul', [total, g.floats('nothing', [], [0])], 'zero_scalar');
  g.binaryOutputs(g.add('Add', [g.linear(x, o.weights, o.bias), zero], 'logit_checked'));
  return g.encode(o, 'varied_failure_classifier');
}

/** The V2 datatypes an identity graph can carry, with their ONNX element type numbers. */
export const IDENTITY_DATATYPES = {
  FP16: DT.FLOAT16,
  FP32: DT.FLOAT,
  FP64: DT.DOUBLE,
  INT8: DT.INT8,
  INT16: DT.INT16,
  INT32: DT.INT32,
  INT64: DT.INT64,
  UINT8: DT.UINT8,
  UINT16: DT.UINT16,
  UINT32: DT.UINT32,
  UINT64: DT.UINT64,
  BOOL: DT.BOOL,
} as const;

/**
 * A regression-shaped identity graph for one datatype: input `x` [N, 1] of
 * that type, output `y` (the same tensor) and `variable`, `x` cast to float
 * so the version can serve the regression task.
 */
export function identityModel(datatype: keyof typeof IDENTITY_DATATYPES): Buffer {
  const g = new Graph();
  const elem = IDENTITY_DATATYPES[datatype];
  g.inputs.push(valueInfo('x', elem, ['N', 1]));
  g.add('Identity', ['x'], 'y');
  g.add('Cast', ['x'], 'variable', [attr('to', DT.FLOAT, 'int')]);
  g.outputs.push(valueInfo('y', elem, ['N', 1]), valueInfo('variable', DT.FLOAT, ['N', 1]));
  return g.encode({}, `identity_${datatype.toLowerCase()}`);
}

/**
 * A binary classifier whose run time grows with the largest feature 0 of
 * the batch: a Loop of that many (cheap) iterations. Zeros run instantly;
 * 1e6 takes well over 200 ms.
 */
export function slowClassifier(opts: Partial<LinearOptions> = {}): Buffer {
  const o = { ...DEFAULT_LINEAR, ...opts };
  const g = new Graph();
  const x = g.features(o.weights.length, o);
  const most = g.add('ReduceMax', [g.add('Relu', [g.column(x, 0)], 'f0_pos')], 'f0_max', [attr('keepdims', 0, 'int')]);
  const trips = g.add('Cast', [most], 'trips', [attr('to', DT.INT64, 'int')]);
  const body = onnx.GraphProto.create({
    name: 'spin',
    node: [node('Identity', ['cond_in'], ['cond_out']), node('Add', ['acc_in', 'step'], ['acc_out'])],
    initializer: [floats('step', [], [0])],
    input: [valueInfo('iteration', DT.INT64, []), valueInfo('cond_in', DT.BOOL, []), valueInfo('acc_in', DT.FLOAT, [])],
    output: [valueInfo('cond_out', DT.BOOL, []), valueInfo('acc_out', DT.FLOAT, [])],
  });
  const acc = g.add('Loop', [trips, '', g.floats('acc0', [], [0])], 'acc', [attr('body', body, 'graph')]);
  g.binaryOutputs(g.add('Add', [g.linear(x, o.weights, o.bias), acc], 'logit_slow'));
  return g.encode(o, 'slow_classifier');
}

/**
 * A binary classifier as scikit-learn exports it with the default
 * `zipmap=True`: `output_label` int64 [N] and `output_probability`, a
 * sequence of maps from class to probability, which is not a tensor.
 */
export function zipMapClassifier(opts: Partial<LinearOptions> = {}): Buffer {
  const o = { ...DEFAULT_LINEAR, ...opts };
  const g = new Graph();
  const x = g.features(o.weights.length, o);
  g.binaryOutputs(g.linear(x, o.weights, o.bias));
  g.outputs = [];
  g.add('Identity', ['label'], 'output_label');
  g.add('ZipMap', ['probabilities'], 'output_probability', [attr('classlabels_int64s', [0, 1], 'ints')], 'ai.onnx.ml');
  const mapType = onnx.TypeProto.create({ mapType: { keyType: DT.INT64, valueType: tensorType(DT.FLOAT) } });
  g.outputs.push(
    valueInfo('output_label', DT.INT64, ['N']),
    onnx.ValueInfoProto.create({ name: 'output_probability', type: { sequenceType: { elemType: mapType } } }),
  );
  return g.encode(o, 'zipmap_classifier', { '': 15, 'ai.onnx.ml': 1 });
}

/** Writes a model to a new file (in `dir`, else a fresh temporary directory) and returns its path. */
export function writeModel(buffer: Uint8Array, dir?: string): string {
  const target = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-onnx-'));
  fs.mkdirSync(target, { recursive: true });
  const file = path.join(target, `model-${randomBytes(4).toString('hex')}.onnx`);
  fs.writeFileSync(file, buffer);
  return file;
}

/**
 * A logistic binary classifier whose logit also adds `ReduceSum(<weight>) * 0`,
 * where `<weight>` is an initializer the graph uses but this model does not
 * hold: append it with `appendInitializer` (test/support/heavy-onnx.mjs) to
 * make a model of any size that still loads and scores like the small one.
 */
export function classifierNeedingInitializer(opts: LinearOptions & { initializer: string }): Buffer {
  const g = new Graph();
  const x = g.features(opts.weights.length, opts);
  const total = g.add('ReduceSum', [opts.initializer], 'weight_sum', [attr('keepdims', 0, 'int')]);
  const nothing = g.add('Mul', [total, g.floats('zero', [1], [0])], 'weight_nothing');
  g.binaryOutputs(g.add('Add', [g.linear(x, opts.weights, opts.bias), nothing], 'logit_heavy'));
  return g.encode(opts, 'heavy_classifier');
}
