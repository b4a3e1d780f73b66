import type { ModelAliasEntity } from './entities/model-alias.entity.js';
import type { ModelEntity } from './entities/model.entity.js';
import type { ModelVersionEntity } from './entities/model-version.entity.js';
import type { ServingRevisionEntity } from './entities/serving-revision.entity.js';

/** Entities as the API answers them: snake_case, RFC 3339 times, no internal ids. */
export function modelView(m: ModelEntity, aliases: Pick<ModelAliasEntity, 'alias' | 'version'>[]) {
  return {
    name: m.name,
    task: m.task,
    description: m.description,
    owner: m.owner,
    tags: m.tags,
    monitoring_policy: m.monitoringPolicy,
    release_policy: m.releasePolicy ?? {},
    latest_version: m.latestVersion,
    aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
    traffic_policy: m.trafficPolicy,
    serving_revision: m.servingRevision,
    created_by: m.createdBy,
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  };
}
export type ModelView = ReturnType<typeof modelView>;

export function versionView(modelName: string, v: ModelVersionEntity, aliases: string[]) {
  return {
    model: modelName,
    version: v.version,
    status: v.status,
    description: v.description,
    tags: v.tags,
    aliases,
    artifact: { sha256: v.artifactSha256, size_bytes: Number(v.artifactSize) },
    signature: v.signature,
    feature_names: v.featureNames,
    categorical_features: v.categoricalFeatures,
    label_column: v.labelColumn,
    score_output: v.scoreOutput,
    metrics: v.metrics,
    /** Expected calibration error of the scores on the labelled baseline; estimates need it at most MODELGATE_CBPE_MAX_ECE. */
    calibration_error: v.calibrationError ?? null,
    lineage: v.lineage,
    online_features: v.onlineFeatures ?? null,
    created_by: v.createdBy,
    created_at: v.createdAt.toISOString(),
    updated_at: v.updatedAt.toISOString(),
  };
}
export type VersionView = ReturnType<typeof versionView>;

export function revisionView(r: ServingRevisionEntity) {
  return {
    revision: r.revision,
    change: r.change,
    alias: r.alias,
    actor: r.actor,
    reason: r.reason,
    restored_revision: r.restoredRevision,
    forced: r.forced ?? false,
    gates: r.gates ?? null,
    approval_id: r.approvalId ?? null,
    created_at: r.createdAt.toISOString(),
    before: r.before,
    after: r.after,
  };
}
export type RevisionView = ReturnType<typeof revisionView>;
