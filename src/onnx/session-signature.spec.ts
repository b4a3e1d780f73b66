import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InvalidOnnxModel } from './onnx.errors.js';
import type { OnnxValueInfo } from './onnx-model-reader.js';
import { signatureOf } from './session-signature.js';

type Meta = InferenceSession.ValueMetadata;
const tensor = (name: string, type: string, shape: (number | string)[]): Meta => ({ name, isTensor: true, type, shape }) as Meta;
const session = (inputs: Meta[], outputs: Meta[]) => ({ inputMetadata: inputs, outputMetadata: outputs });
const declared = (name: string, elemType: number, shape?: (number | string | null)[]): OnnxValueInfo => ({
  name,
  type: { kind: 'tensor', elemType, shape },
});

function refusal(fn: () => unknown): InvalidOnnxModel {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOnnxModel);
    return err as InvalidOnnxModel;
  }
  throw new Error('expected a refusal');
}

describe('signatureOf', () => {
  it('turns onnxruntime metadata into tensor specs, open dimensions as -1', () => {
    const s = session([tensor('input', 'float32', ['', 30])], [tensor('label', 'int64', ['N']), tensor('p', 'float32', ['N', 2])]);
    expect(signatureOf(s, { inputs: [declared('input', 1, [null, 30])], outputs: [declared('label', 7, ['N']), declared('p', 1, ['N', 2])] })).toEqual({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'p', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
  });

  it('ignores declared graph inputs onnxruntime does not report (initializers listed as inputs by IR < 4)', () => {
    const s = session([tensor('x', 'float32', ['N', 2])], [tensor('y', 'float32', ['N'])]);
    const sig = signatureOf(s, { inputs: [declared('x', 1, ['N', 2]), declared('W', 1, [2, 1])], outputs: [declared('y', 1, ['N'])] });
    expect(sig.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('refuses an element type the graph declares differently', () => {
    const e = refusal(() => signatureOf(session([tensor('x', 'float32', [1])], []), { inputs: [declared('x', 11, [1])], outputs: [] }));
    expect(e.reason).toBe('signature_mismatch');
    expect(e.message).toMatch(/declared as double but onnxruntime loads it as float32/);
  });

  it('refuses a shape the graph declares differently', () => {
    const e = refusal(() => signatureOf(session([tensor('x', 'float32', ['N', 3])], []), { inputs: [declared('x', 1, ['N', 4])], outputs: [] }));
    expect(e.reason).toBe('signature_mismatch');
  });

  it('refuses a value onnxruntime reports but the graph does not declare', () => {
    const e = refusal(() => signatureOf(session([], [tensor('y', 'float32', [1])]), { inputs: [], outputs: [] }));
    expect(e.message).toMatch(/onnxruntime reports output "y", which the graph does not declare/);
  });

  it('refuses element types the Open Inference Protocol cannot carry', () => {
    const e = refusal(() => signatureOf(session([tensor('x', 'bfloat16', [1])], [])));
    expect(e.reason).toBe('unsupported_datatype');
    expect(e.message).toMatch(/input "x" has the element type bfloat16/);
  });

  it('refuses a non-tensor input even without the graph at hand', () => {
    const e = refusal(() => signatureOf(session([{ name: 'm', isTensor: false } as Meta], [])));
    expect(e.reason).toBe('non_tensor_value');
    expect(e.message).toMatch(/input "m" is a non-tensor value/);
  });

  it('names a map output as a ZipMap and says to export with zipmap=False', () => {
    const e = refusal(() =>
      signatureOf(session([], [{ name: 'probs', isTensor: false } as Meta]), {
        inputs: [],
        outputs: [{ name: 'probs', type: { kind: 'map', keyType: 8, value: { kind: 'tensor', elemType: 1 } } }],
      }),
    );
    expect(e.message).toMatch(/output "probs" is a map \(string to float\) \(a scikit-learn ZipMap\).*zipmap=False/);
  });
});
