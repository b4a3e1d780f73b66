import type { ModelSignature, ScoreOutput } from '../../onnx/model-signature.js';
import type { ReleasePolicy } from './release-policy.js';

/**
 * Promotion gates: what a version must clear before a guarded alias points
 * at it (PRODUCT.md "Promotion gates"). Pure: the caller reads the two
 * versions; this file only judges them.
 */
export type GateName = 'signature' | 'baseline' | 'min_metrics' | 'max_metric_drop';
export type GateOutcome = 'passed' | 'failed' | 'skipped';

export interface GateResult {
  gate: GateName;
  result: GateOutcome;
  /** For the metric gates: which metric this row judges. */
  metric?: string;
  /** A sentence a person reads in the refusal. */
  detail: string;
  value?: number | null;
  bar?: number;
}

/** What the gates read of a version. */
export interface VersionFacts {
  version: number;
  task: string;
  featureNames: string[];
  signature: ModelSignature;
  scoreOutput: ScoreOutput | null;
  metrics: Record<string, number>;
  hasBaseline: boolean;
}

export interface GateInput {
  alias: string;
  policy: ReleasePolicy;
  candidate: VersionFacts;
  /** What the alias serves now; null when the alias is new. */
  current: VersionFacts | null;
}

export interface GateReport {
  passed: boolean;
  gates: GateResult[];
}

/** Metrics where lower is better: a bar is a ceiling and a "drop" is a rise. */
const LOWER_IS_BETTER = new Set(['rmse', 'mse', 'mae', 'mape', 'log_loss', 'logloss', 'brier', 'brier_score', 'error_rate']);

export function lowerIsBetter(metric: string): boolean {
  return LOWER_IS_BETTER.has(metric.toLowerCase());
}

export function evaluateGates(input: GateInput): GateReport {
  const gates = [signatureGate(input), baselineGate(input), ...minMetricGates(input), ...metricDropGates(input)];
  return { passed: gates.every((g) => g.result !== 'failed'), gates };
}

function signatureGate({ candidate, current, alias }: GateInput): GateResult {
  if (!current) return { gate: 'signature', result: 'passed', detail: `alias "${alias}" is new: nothing to be compatible with` };
  if (current.version === candidate.version) return { gate: 'signature', result: 'passed', detail: `alias "${alias}" already serves version ${candidate.version}` };
  const problems: string[] = [];
  if (candidate.task !== current.task) problems.push(`task ${candidate.task} differs from ${current.task}`);
  if (!sameList(candidate.featureNames, current.featureNames)) {
    problems.push(`features [${candidate.featureNames.join(', ')}] differ from [${current.featureNames.join(', ')}] (names and order must match)`);
  }
  const ck = outputKind(candidate);
  const sk = outputKind(current);
  if (!sameList(ck, sk)) problems.push(`outputs ${ck.join(', ')} differ from ${sk.join(', ')}`);
  if (problems.length) {
    return { gate: 'signature', result: 'failed', detail: `version ${candidate.version} is not compatible with version ${current.version}, which "${alias}" serves: ${problems.join('; ')}` };
  }
  return { gate: 'signature', result: 'passed', detail: `same features, task and outputs as version ${current.version}` };
}

/** Each output's name, element type and non-batch dimensions, then which output is the score. */
function outputKind(v: VersionFacts): string[] {
  const outs = v.signature.outputs.map((o) => `${o.name}:${o.datatype}[${o.shape.slice(1).map((d) => (d < 0 ? '?' : d)).join(',')}]`);
  if (v.scoreOutput) outs.push(`score=${v.scoreOutput.output}${v.scoreOutput.column !== undefined ? `:${v.scoreOutput.column}` : ''}`);
  return outs;
}

function baselineGate({ policy, candidate }: GateInput): GateResult {
  if (!policy.require_baseline) return { gate: 'baseline', result: 'skipped', detail: 'the policy does not require a training baseline' };
  return candidate.hasBaseline
    ? { gate: 'baseline', result: 'passed', detail: `version ${candidate.version} has a training baseline` }
    : { gate: 'baseline', result: 'failed', detail: `version ${candidate.version} has no training baseline; upload one with the version` };
}

function minMetricGates({ policy, candidate }: GateInput): GateResult[] {
  return Object.entries(policy.min_metrics).map(([metric, bar]): GateResult => {
    const value = metricOf(candidate, metric);
    const base = { gate: 'min_metrics' as const, metric, bar, value };
    if (value === null) return { ...base, result: 'failed', detail: `version ${candidate.version} has no registered ${metric}` };
    const ok = lowerIsBetter(metric) ? value <= bar : value >= bar;
    const op = lowerIsBetter(metric) ? '<=' : '>=';
    return { ...base, result: ok ? 'passed' : 'failed', detail: `${metric} ${value} ${ok ? 'clears' : 'does not clear'} ${op} ${bar}` };
  });
}

function metricDropGates({ policy, candidate, current, alias }: GateInput): GateResult[] {
  return Object.entries(policy.max_metric_drop).map(([metric, drop]): GateResult => {
    const value = metricOf(candidate, metric);
    const base = { gate: 'max_metric_drop' as const, metric, value };
    if (!current || current.version === candidate.version) {
      return { ...base, result: 'skipped', detail: current ? `alias "${alias}" already serves this version` : `alias "${alias}" is new: nothing to compare with` };
    }
    const now = metricOf(current, metric);
    if (now === null) return { ...base, result: 'skipped', detail: `version ${current.version}, which "${alias}" serves, has no registered ${metric}` };
    const lower = lowerIsBetter(metric);
    const bar = lower ? now + drop : now - drop;
    if (value === null) return { ...base, bar, result: 'failed', detail: `version ${candidate.version} has no registered ${metric}` };
    // A bar computed in floating point (0.9 - 0.01) must not refuse the value that sits exactly on it.
    const eps = 1e-12;
    const ok = lower ? value <= bar + eps : value >= bar - eps;
    return {
      ...base,
      bar,
      result: ok ? 'passed' : 'failed',
      detail: `${metric} ${value} against ${now} of version ${current.version}: may ${lower ? 'rise' : 'fall'} by at most ${drop}`,
    };
  });
}

function metricOf(v: VersionFacts, metric: string): number | null {
  const x = v.metrics?.[metric];
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
