import { describe, expect, it } from 'vitest';
import { evaluateGates, type VersionFacts } from './promotion-gates.js';
import { releasePolicyOf } from './release-policy.js';

const facts = (over: Partial<VersionFacts> = {}): VersionFacts => ({
  version: 2,
  task: 'binary_classification',
  featureNames: ['age', 'income', 'debt'],
  signature: {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3] }],
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ],
  },
  scoreOutput: null,
  metrics: { auc: 0.9 },
  hasBaseline: true,
  ...over,
});
const gate = (r: ReturnType<typeof evaluateGates>, name: string, metric?: string) => r.gates.find((g) => g.gate === name && g.metric === metric);

describe('promotion gates', () => {
  it('passes a compatible candidate with only the default signature gate on', () => {
    const r = evaluateGates({ alias: 'production', policy: releasePolicyOf({}), candidate: facts(), current: facts({ version: 1 }) });
    expect(r.passed).toBe(true);
    expect(gate(r, 'signature')?.result).toBe('passed');
    expect(gate(r, 'baseline')?.result).toBe('skipped');
  });

  it('treats a new alias as trivially compatible', () => {
    const r = evaluateGates({ alias: 'production', policy: releasePolicyOf({}), candidate: facts({ featureNames: ['x'] }), current: null });
    expect(r.passed).toBe(true);
    expect(gate(r, 'signature')?.detail).toMatch(/new/);
  });

  it('refuses features in another order, naming the signature gate', () => {
    const r = evaluateGates({ alias: 'production', policy: releasePolicyOf({}), candidate: facts({ featureNames: ['income', 'age', 'debt'] }), current: facts({ version: 1 }) });
    expect(r.passed).toBe(false);
    expect(gate(r, 'signature')).toMatchObject({ result: 'failed' });
    expect(gate(r, 'signature')?.detail).toMatch(/order/);
  });

  it('refuses another output kind (a regression output for a classifier)', () => {
    const regression = facts({ signature: { inputs: facts().signature.inputs, outputs: [{ name: 'variable', datatype: 'FP32', shape: [-1, 1] }] } });
    expect(evaluateGates({ alias: 'production', policy: releasePolicyOf({}), candidate: regression, current: facts({ version: 1 }) }).passed).toBe(false);
  });

  it('ignores the batch dimension when comparing outputs', () => {
    const fixed = facts({ signature: { inputs: facts().signature.inputs, outputs: facts().signature.outputs.map((o) => ({ ...o, shape: [1, ...o.shape.slice(1)] })) } });
    expect(evaluateGates({ alias: 'production', policy: releasePolicyOf({}), candidate: fixed, current: facts({ version: 1 }) }).passed).toBe(true);
  });

  it('refuses a missing baseline only when the policy asks for one', () => {
    const candidate = facts({ hasBaseline: false });
    expect(evaluateGates({ alias: 'production', policy: releasePolicyOf({}), candidate, current: null }).passed).toBe(true);
    const r = evaluateGates({ alias: 'production', policy: releasePolicyOf({ require_baseline: true }), candidate, current: null });
    expect(r.passed).toBe(false);
    expect(gate(r, 'baseline')?.result).toBe('failed');
  });

  it('holds a metric to its minimum, and a missing metric fails', () => {
    const policy = releasePolicyOf({ min_metrics: { auc: 0.85 } });
    expect(gate(evaluateGates({ alias: 'p', policy, candidate: facts({ metrics: { auc: 0.85 } }), current: null }), 'min_metrics', 'auc')?.result).toBe('passed');
    const low = evaluateGates({ alias: 'p', policy, candidate: facts({ metrics: { auc: 0.84 } }), current: null });
    expect(gate(low, 'min_metrics', 'auc')).toMatchObject({ result: 'failed', value: 0.84, bar: 0.85 });
    expect(gate(evaluateGates({ alias: 'p', policy, candidate: facts({ metrics: {} }), current: null }), 'min_metrics', 'auc')?.result).toBe('failed');
  });

  it('reads an error metric bar as a ceiling', () => {
    const policy = releasePolicyOf({ min_metrics: { rmse: 10 } });
    expect(evaluateGates({ alias: 'p', policy, candidate: facts({ metrics: { rmse: 9.5 } }), current: null }).passed).toBe(true);
    expect(evaluateGates({ alias: 'p', policy, candidate: facts({ metrics: { rmse: 10.5 } }), current: null }).passed).toBe(false);
  });

  it('limits the drop against what the alias serves, with the bar itself allowed', () => {
    const policy = releasePolicyOf({ max_metric_drop: { auc: 0.01 } });
    const current = facts({ version: 1, metrics: { auc: 0.9 } });
    expect(evaluateGates({ alias: 'production', policy, candidate: facts({ metrics: { auc: 0.89 } }), current }).passed).toBe(true);
    const r = evaluateGates({ alias: 'production', policy, candidate: facts({ metrics: { auc: 0.885 } }), current });
    expect(r.passed).toBe(false);
    expect(gate(r, 'max_metric_drop', 'auc')?.bar).toBeCloseTo(0.89, 12);
    expect(gate(evaluateGates({ alias: 'production', policy, candidate: facts(), current: null }), 'max_metric_drop', 'auc')?.result).toBe('skipped');
  });

  it('lists every gate with its result, failed or not', () => {
    const policy = releasePolicyOf({ require_baseline: true, min_metrics: { auc: 0.95, accuracy: 0.5 } });
    const r = evaluateGates({ alias: 'production', policy, candidate: facts({ hasBaseline: false, metrics: { auc: 0.9, accuracy: 0.8 } }), current: facts({ version: 1 }) });
    expect(r.gates.map((g) => `${g.gate}${g.metric ? `.${g.metric}` : ''}=${g.result}`)).toEqual([
      'signature=passed',
      'baseline=failed',
      'min_metrics.auc=failed',
      'min_metrics.accuracy=passed',
    ]);
  });
});
