import { ValidationFailed } from '../../common/errors.js';
import type { V2Datatype } from '../../onnx/model-signature.js';
import { tensorFromV2, type V2InputTensor } from '../../onnx/v2-tensors.js';

const NUMERIC: ReadonlySet<string> = new Set(['FP32', 'FP64', 'FP16', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);

/**
 * An Open Inference Protocol request as named rows, for a version that
 * looks features up: one BYTES input per entity key and one numeric input
 * per sent feature, each `[N]` or `[N, 1]`, become N rows
 * `{customer_id: "c-42", amount: 120}` that the online features fill like
 * `/v1` instances. Undefined when no input is named for an entity (the
 * request sends every feature the usual way). Throws the caller's mistakes,
 * naming the input.
 */
export function namedRows(inputs: readonly V2InputTensor[], entities: readonly string[], features: readonly string[]): Record<string, unknown>[] | undefined {
  if (!inputs.some((i) => entities.includes(i.name))) return undefined;
  const featureSet = new Set(features);
  let rows = -1;
  const columns: { name: string; values: ArrayLike<unknown> }[] = [];
  for (const input of inputs) {
    const entity = entities.includes(input.name);
    if (!entity && !featureSet.has(input.name)) {
      throw new ValidationFailed(`input "${input.name}" is neither an entity key (${entities.join(', ')}) nor a feature of the model`, { input: input.name });
    }
    const datatype = input.datatype as V2Datatype;
    if (entity ? datatype !== 'BYTES' : !NUMERIC.has(datatype as string)) {
      throw new ValidationFailed(`input "${input.name}": ${entity ? 'an entity key must be BYTES' : 'a feature must be numeric (FP32, FP64, or an integer type)'}, not ${JSON.stringify(input.datatype)}`, {
        input: input.name,
        datatype: input.datatype,
      });
    }
    const shape = Array.isArray(input.shape) ? (input.shape as unknown[]) : [];
    const spec = { name: input.name, datatype, shape: shape.length === 2 ? [-1, 1] : [-1] };
    const t = tensorFromV2(input, spec);
    if (rows === -1) rows = t.dims[0];
    else if (t.dims[0] !== rows) throw new ValidationFailed(`every input must have the same number of rows (${rows}); "${input.name}" has ${t.dims[0]}`, { input: input.name, rows });
    columns.push({ name: input.name, values: t.data as ArrayLike<unknown> });
  }
  const out = new Array<Record<string, unknown>>(rows);
  for (let r = 0; r < rows; r++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) {
      const v = c.values[r];
      row[c.name] = typeof v === 'bigint' ? Number(v) : v;
    }
    out[r] = row;
  }
  return out;
}
