import { describe, expect, it } from 'vitest';
import type { InferRequest } from './infer-request.js';
import { wantedOutputs } from './oip-payload.js';

const request = (over: Partial<InferRequest>): InferRequest => ({ parameters: {}, inputs: [], binaryOutput: false, classification: 0, explainFeatures: false, fields: {}, ...over });
const OUTPUTS = ['label', 'probabilities'];

describe('wantedOutputs', () => {
  it('answers every model output when none is named, and the named ones otherwise', () => {
    expect(wantedOutputs(1, OUTPUTS, true, request({})).map((o) => o.name)).toEqual(OUTPUTS);
    const named = [{ name: 'probabilities', binary: true, classification: 0 }];
    expect(wantedOutputs(1, OUTPUTS, true, request({ outputs: named }))).toEqual(named);
  });

  it('lets outputs name "features" only with explain_features, and leaves it out of the model outputs to run', () => {
    const outputs = [{ name: 'probabilities', binary: false, classification: 0 }, { name: 'features', binary: true, classification: 0 }];
    expect(() => wantedOutputs(1, OUTPUTS, true, request({ outputs }))).toThrow(/has no output "features"/);
    expect(wantedOutputs(1, OUTPUTS, true, request({ outputs, explainFeatures: true }))).toEqual([outputs[0]]);
  });

  it('refuses explain_features for a version that looks features up and has its own output "features", and not otherwise', () => {
    const own = [...OUTPUTS, 'features'];
    expect(() => wantedOutputs(3, own, true, request({ explainFeatures: true }))).toThrow(/version 3 has its own output "features"/);
    expect(wantedOutputs(3, own, false, request({ explainFeatures: true })).map((o) => o.name)).toEqual(own);
    expect(wantedOutputs(3, own, true, request({})).map((o) => o.name)).toEqual(own);
  });
});
