import type { ModelSignature, ModelTask, OnnxModelInfo, ScoreOutput } from '../onnx/model-signature.js';
import { interpretOutputs, type OutputInterpretation } from '../onnx/output-decoder.js';
import { inFeatureOrder, tabularLayout, type TabularLayout } from '../onnx/tabular.js';
import type { UploadMetadata } from './dto/version.dto.js';
import { FeatureMismatch, InvalidUpload } from './registry.errors.js';

export interface ResolvedFeatures {
  featureNames: string[];
  categorical: string[];
  layout: TabularLayout | undefined;
  interpretation: OutputInterpretation;
}

/**
 * Decides the ordered feature names of an upload and proves them consistent
 * with the graph: from the upload, else from the ONNX `metadata_props` key
 * `feature_names`, else (one input per feature) from the input names.
 */
export function resolveFeatures(task: ModelTask, info: OnnxModelInfo, meta: UploadMetadata): ResolvedFeatures {
  const layout = tabularLayout(info.signature);
  const featureNames = meta.feature_names ?? featureNamesFromGraph(info, layout);
  const seen = new Set<string>();
  for (const f of featureNames) {
    if (seen.has(f)) throw new InvalidUpload(`feature "${f}" is named twice`, { field: 'metadata.feature_names', feature: f });
    seen.add(f);
  }
  if (featureNames.length) checkAgainstGraph(featureNames, layout, info.signature);
  for (const c of meta.categorical_features) {
    if (!seen.has(c)) {
      throw new InvalidUpload(`categorical feature "${c}" is not one of the feature names`, {
        field: 'metadata.categorical_features',
        feature: c,
      });
    }
  }
  if (seen.has(meta.label_column)) {
    throw new InvalidUpload(`label column "${meta.label_column}" is also a feature`, { field: 'metadata.label_column' });
  }
  const interpretation = interpretOutputs(task, info.signature, meta.score_output as ScoreOutput | undefined);
  // One input per feature: rows are written in feature-name order, so the
  // layout must list the inputs in that order too.
  const ordered = layout && featureNames.length ? inFeatureOrder(layout, featureNames) : layout;
  return { featureNames, categorical: meta.categorical_features, layout: ordered, interpretation };
}

function featureNamesFromGraph(info: OnnxModelInfo, layout: TabularLayout | undefined): string[] {
  const raw = info.metadata.feature_names;
  if (raw !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new FeatureMismatch('the ONNX metadata_props "feature_names" is not a JSON array of strings', { source: 'onnx' });
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string' && x.length > 0)) {
      throw new FeatureMismatch('the ONNX metadata_props "feature_names" is not a JSON array of strings', { source: 'onnx' });
    }
    return parsed as string[];
  }
  if (layout?.kind === 'columns') return layout.inputs.map((i) => i.name);
  if (layout?.kind === 'matrix') {
    throw new FeatureMismatch(
      `the model takes ${layout.width} features in one input but no feature names were given: ` +
        'send metadata.feature_names or set the ONNX metadata_props key "feature_names"',
      { expected_width: layout.width },
    );
  }
  return [];
}

function checkAgainstGraph(names: string[], layout: TabularLayout | undefined, signature: ModelSignature): void {
  if (!layout) {
    throw new FeatureMismatch(
      `feature names were given but the model's inputs are not tabular (one [N, F] input or one [N, 1] input per feature): ` +
        signature.inputs.map((i) => `${i.name} ${JSON.stringify(i.shape)}`).join(', '),
      { inputs: signature.inputs },
    );
  }
  if (layout.kind === 'matrix') {
    if (layout.width !== names.length) {
      throw new FeatureMismatch(
        `${names.length} feature names were given but input "${layout.input.name}" takes ${layout.width} features`,
        { expected_width: layout.width, feature_count: names.length },
      );
    }
    return;
  }
  const inputs = new Set(layout.inputs.map((i) => i.name));
  const missing = [...inputs].filter((n) => !names.includes(n));
  const unknown = names.filter((n) => !inputs.has(n));
  if (missing.length || unknown.length) {
    throw new FeatureMismatch(
      `feature names must equal the model's input names${unknown.length ? `; not inputs: ${unknown.join(', ')}` : ''}` +
        `${missing.length ? `; inputs not named: ${missing.join(', ')}` : ''}`,
      { unknown_features: unknown, missing_features: missing },
    );
  }
}
