import { z } from 'zod';
import { type FeatureValue, type FeatureViewSpec, featureValue } from './feature-view.js';

/**
 * A model version's `online_features` block: which of its features the
 * gateway looks up in feature views, keyed by the entity ids a caller sends,
 * within a time budget, and what to do per feature when a value is missing
 * or stale. Pure: the schema, its normal form and the upload checks.
 */
export const ON_MISSING = ['fail', 'default', 'missing'] as const;
export type OnMissing = (typeof ON_MISSING)[number];

export const DEFAULT_TIMEOUT_MS = 20;
export const MAX_TIMEOUT_MS = 10_000;

const REF_PATTERN = /^([^:\s]+):([^:\s]+)$/;
const refSchema = z.string().max(300).regex(REF_PATTERN, 'a feature reference is "view:feature"');
const defaultValueSchema = z.union([z.number(), z.string().max(10_000), z.boolean()]);

/** A bare `"view:feature"` is short for `{"ref": "view:feature"}` (policy `fail`). */
const featureSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { ref: v } : v),
  z.strictObject({
    ref: refSchema,
    on_missing: z.enum(ON_MISSING, { message: `on_missing is one of ${ON_MISSING.join(', ')}` }).default('fail'),
    default: defaultValueSchema.optional(),
  }),
);

export const onlineFeaturesSchema = z
  .strictObject({
    timeout_ms: z
      .int('timeout_ms must be an integer number of milliseconds')
      .min(1, 'timeout_ms is at least 1')
      .max(MAX_TIMEOUT_MS, `timeout_ms is at most ${MAX_TIMEOUT_MS}`)
      .default(DEFAULT_TIMEOUT_MS),
    entities: z.array(z.string().min(1).max(128)).min(1, 'name at least one entity key').max(8, 'at most 8 entity keys'),
    features: z
      .record(z.string().min(1).max(200), featureSchema)
      .refine((f) => Object.keys(f).length >= 1, 'map at least one feature')
      .refine((f) => Object.keys(f).length <= 1000, 'at most 1000 looked-up features'),
  })
  .superRefine((block, ctx) => {
    if (new Set(block.entities).size !== block.entities.length) ctx.addIssue({ code: 'custom', path: ['entities'], message: 'entity keys must be distinct' });
    for (const [name, f] of Object.entries(block.features)) {
      if (f.on_missing === 'default' && f.default === undefined) {
        ctx.addIssue({ code: 'custom', path: ['features', name, 'default'], message: 'on_missing "default" needs a default value' });
      }
      if (f.on_missing !== 'default' && f.default !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['features', name, 'default'], message: 'a default value is used only with on_missing "default"' });
      }
    }
  })
  .transform((block): OnlineFeaturesBlock => ({
    timeout_ms: block.timeout_ms,
    entities: block.entities,
    features: Object.fromEntries(
      Object.entries(block.features).map(([name, f]) => [
        name,
        { ref: f.ref, on_missing: f.on_missing, ...(f.default !== undefined ? { default: f.default } : {}) },
      ]),
    ),
  }));

/** The block in its normal form, as stored with the version and answered on GET: every feature an object with its policy. */
export interface OnlineFeaturesBlock {
  timeout_ms: number;
  entities: string[];
  features: Record<string, { ref: string; on_missing: OnMissing; default?: number | string | boolean }>;
}

/** One looked-up feature: the model's feature name and where its value lives. */
export interface LookedUpFeature {
  name: string;
  view: string;
  feature: string;
  onMissing: OnMissing;
  default: FeatureValue;
}

export function splitRef(ref: string): { view: string; feature: string } {
  const m = REF_PATTERN.exec(ref);
  if (!m) throw new Error(`not a feature reference: ${ref}`);
  return { view: m[1], feature: m[2] };
}

/** The looked-up features of a block, in its order. */
export function lookedUpFeatures(block: OnlineFeaturesBlock): LookedUpFeature[] {
  return Object.entries(block.features).map(([name, f]) => ({ name, ...splitRef(f.ref), onMissing: f.on_missing, default: f.default ?? null }));
}

/** The views a block reads, each once. */
export function viewsOf(block: OnlineFeaturesBlock): string[] {
  return [...new Set(Object.values(block.features).map((f) => splitRef(f.ref).view))];
}

export interface BlockProblem {
  message: string;
  /** Where in the upload's metadata, e.g. `metadata.online_features.features.debt`. */
  field: string;
}

/**
 * Checks a block against the version's ordered feature names and the views
 * it names (`undefined` for a view that does not exist): every mapped name
 * is a feature of the model, every reference names a view and one of its
 * features, the declared entities are exactly the referenced views' entity
 * keys, and a default value has its feature's type. Answers the first
 * problem, or undefined.
 */
export function checkOnlineFeatures(
  block: OnlineFeaturesBlock,
  featureNames: readonly string[],
  views: ReadonlyMap<string, Pick<FeatureViewSpec, 'entities' | 'features'> | undefined>,
): BlockProblem | undefined {
  const at = (path: string) => `metadata.online_features.${path}`;
  const modelFeatures = new Set(featureNames);
  if (modelFeatures.size === 0) {
    return { message: 'online_features needs the model feature names (metadata.feature_names or the ONNX metadata_props)', field: at('features') };
  }
  const used = new Set<string>();
  for (const f of lookedUpFeatures(block)) {
    const field = at(`features.${f.name}`);
    if (!modelFeatures.has(f.name)) return { message: `looked-up feature "${f.name}" is not one of the model's features`, field };
    const view = views.get(f.view);
    if (!view) return { message: `feature view "${f.view}" (in "${f.view}:${f.feature}") does not exist`, field };
    const type = view.features[f.feature];
    if (!type) return { message: `feature view "${f.view}" has no feature "${f.feature}"`, field };
    if (f.onMissing === 'default' && (f.default === null || featureValue(type, f.default, false) === undefined)) {
      return { message: `the default of "${f.name}" must be ${type === 'int' ? 'an integer' : `a ${type}`}, like "${f.view}:${f.feature}"`, field: `${field}.default` };
    }
    for (const e of view.entities) {
      if (!block.entities.includes(e)) {
        return { message: `feature view "${f.view}" is keyed by ${view.entities.join(', ')}: declare "${e}" in online_features.entities`, field: at('entities') };
      }
      used.add(e);
    }
  }
  for (const e of block.entities) {
    if (!used.has(e)) return { message: `entity key "${e}" keys none of the referenced views`, field: at('entities') };
    if (e in block.features) return { message: `"${e}" is an entity key; it cannot also be looked up`, field: at(`features.${e}`) };
  }
  return undefined;
}
