import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DataSource, LessThan } from 'typeorm';
import type { Actor } from '../auth/scopes.decorator.js';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { uuidv7 } from '../common/ids.js';
import { pageBelow, toPage } from '../common/page-cursor.js';
import { parseWith } from '../common/validation.js';
import { ArtifactStore } from '../storage/artifact-store.js';
import { FeatureViewCatalog, type FeatureViewRecord } from '../features/feature-view.catalog.js';
import { checkOnlineFeatures, type OnlineFeaturesBlock, viewsOf } from '../features/online-features.js';
import type { BaselineSketch } from '../monitoring/sketch/baseline-sketch.js';
import { ArtifactSweeper } from './artifact-sweeper.js';
import { type ListVersionsQuery, type PatchVersionDto, uploadMetadataSchema } from './dto/version.dto.js';
import { ModelAliasEntity } from './entities/model-alias.entity.js';
import { ModelEntity } from './entities/model.entity.js';
import { ModelVersionEntity } from './entities/model-version.entity.js';
import { lockModel } from './model-lock.js';
import { InvalidUpload, ModelNotFound, VersionArchived, VersionInUse, VersionNotFound } from './registry.errors.js';
import { SERVING_CHANNEL } from './serving-state.events.js';
import { versionView, type VersionView } from './registry.views.js';
import { UploadAnalyser } from './upload-analyser.js';
import { RegistryEvents } from './events/registry-events.js';
import { readUpload } from './upload-reader.js';

const DEFAULT_BINS = 10;

@Injectable()
export class VersionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ArtifactStore,
    private readonly sweeper: ArtifactSweeper,
    private readonly analyser: UploadAnalyser,
    private readonly events: RegistryEvents,
    private readonly views: FeatureViewCatalog,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Registers a new version. Everything that can refuse the upload (the file
   * loads in onnxruntime, features match the graph, the baseline parses and
   * scores) happens before anything is stored, in the upload analysis
   * process (off this event loop); the number is taken under the
   * model's row lock in the same transaction that inserts the row, so
   * concurrent uploads get dense, distinct numbers.
   */
  async upload(name: string, request: FastifyRequest, actor: Actor): Promise<VersionView> {
    const model = await this.requireModel(name);
    const draft = await readUpload(request, this.config.registry.scratchDir, this.config.limits);
    try {
      const meta = parseWith(uploadMetadataSchema, draft.metadata ?? {}, 'metadata');
      const { info, features, baselineJson, calibrationJson, calibrationError } = await this.analyser.analyse({
        filePath: draft.filePath,
        size: draft.size,
        baselinePath: draft.baselinePath,
        task: model.task,
        meta,
        bins: Number(model.monitoringPolicy.bins ?? DEFAULT_BINS),
        sampleSize: this.config.registry.baselineSampleSize,
      });
      if (meta.online_features) await this.checkOnlineFeatures(meta.online_features, features.featureNames);
      const key = `models/${name}/${uuidv7()}.onnx`;
      await this.sweeper.markUpload(key);
      try {
        await this.store.putFile(key, draft.filePath, { sha256: draft.sha256, size: draft.size });
        const version = await this.dataSource.transaction(async (em) => {
          const locked = await lockModel(em, name);
          const number = locked.latestVersion + 1;
          await em.getRepository(ModelVersionEntity).insert({
            modelId: locked.id,
            version: number,
            status: 'ready',
            description: meta.description,
            tags: meta.tags,
            artifactKey: key,
            artifactSha256: draft.sha256,
            artifactSize: String(draft.size),
            signature: info.signature,
            featureNames: features.featureNames,
            categoricalFeatures: features.categorical,
            labelColumn: meta.label_column,
            scoreOutput: meta.score_output ?? null,
            metrics: meta.metrics,
            lineage: meta.lineage as any,
            onlineFeatures: meta.online_features ?? null,
            createdBy: actor.keyId,
          });
          // The child's JSON text goes to PostgreSQL as it is: stringifying a 5,000-row sample per feature here took 45 ms of the serving loop.
          if (baselineJson) await em.query(`UPDATE model_versions SET baseline = $3::jsonb WHERE model_id = $1 AND version = $2`, [locked.id, number, baselineJson]);
          if (calibrationJson) {
            await em.query(`UPDATE model_versions SET calibration = $3::jsonb, calibration_error = $4 WHERE model_id = $1 AND version = $2`, [locked.id, number, calibrationJson, calibrationError]);
          }
          await em.getRepository(ModelEntity).update({ id: locked.id }, { latestVersion: number, updatedAt: () => 'now()' } as any);
          await this.sweeper.commitUpload(em, key);
          await this.events.record(em, {
            type: 'version.created',
            model: name,
            version: number,
            actor: actor.keyId,
            data: { sha256: draft.sha256, size_bytes: draft.size, metrics: meta.metrics, has_baseline: !!baselineJson, feature_names: features.featureNames },
          });
          // Serving learns of the new version (and of a model it has not seen) on commit, not at its next reconcile.
          await em.query('SELECT pg_notify($1, $2)', [SERVING_CHANNEL, JSON.stringify({ model: name, version: number })]);
          return number;
        });
        return this.get(name, version);
      } catch (err) {
        // Nothing committed points at the object: take it away now (the
        // sweep retries if the store is unreachable).
        await this.sweeper.deleteNow([key]);
        throw err;
      }
    } finally {
      await fs.rm(draft.filePath, { force: true });
      if (draft.baselinePath) await fs.rm(draft.baselinePath, { force: true });
    }
  }

  async get(name: string, version: number): Promise<VersionView> {
    const model = await this.requireModel(name);
    const v = await this.dataSource.getRepository(ModelVersionEntity).findOneBy({ modelId: model.id, version });
    if (!v) throw new VersionNotFound(name, version);
    const aliases = await this.dataSource.getRepository(ModelAliasEntity).find({ where: { modelId: model.id, version } });
    return versionView(name, v, aliases.map((a) => a.alias).sort());
  }

  /** Newest first, one page at a time (`next_cursor`). */
  async list(name: string, q: ListVersionsQuery) {
    const model = await this.requireModel(name);
    const below = pageBelow(q.before, q.cursor);
    const rows = await this.dataSource.getRepository(ModelVersionEntity).find({
      where: {
        modelId: model.id,
        ...(q.status ? { status: q.status } : {}),
        ...(below !== undefined ? { version: LessThan(below) } : {}),
      },
      order: { version: 'DESC' },
      take: q.limit + 1,
    });
    const { items: versions, next_cursor } = toPage(rows, q.limit, (v) => v.version);
    const aliases = await this.dataSource.getRepository(ModelAliasEntity).find({ where: { modelId: model.id } });
    return {
      next_cursor,
      versions: versions.map((v) =>
        versionView(
          name,
          v,
          aliases.filter((a) => a.version === v.version).map((a) => a.alias).sort(),
        ),
      ),
    };
  }

  async baseline(name: string, version: number): Promise<BaselineSketch | null> {
    const model = await this.requireModel(name);
    const v = await this.dataSource
      .getRepository(ModelVersionEntity)
      .createQueryBuilder('v')
      .addSelect('v.baseline')
      .where('v.model_id = :id AND v.version = :version', { id: model.id, version })
      .getOne();
    if (!v) throw new VersionNotFound(name, version);
    return v.baseline;
  }

  /** Archiving a version something serves is refused: move the alias or the route first. */
  async patch(name: string, version: number, dto: PatchVersionDto, actor?: Actor): Promise<VersionView> {
    await this.dataSource.transaction(async (em) => {
      const model = await lockModel(em, name);
      const v = await em.getRepository(ModelVersionEntity).findOneBy({ modelId: model.id, version });
      if (!v) throw new VersionNotFound(name, version);
      if (dto.status === 'archived' && v.status !== 'archived') {
        const usedBy = await this.usersOf(model, version);
        if (usedBy.length) throw new VersionInUse(name, version, usedBy);
      }
      await em.getRepository(ModelVersionEntity).update(
        { modelId: model.id, version },
        {
          ...(dto.description !== undefined ? { description: dto.description } : {}),
          ...(dto.tags !== undefined ? { tags: dto.tags } : {}),
          ...(dto.status !== undefined ? { status: dto.status } : {}),
          updatedAt: () => 'now()',
        } as any,
      );
      if (dto.status === 'archived' && v.status !== 'archived') {
        await this.events.record(em, { type: 'version.archived', model: name, version, actor: actor?.keyId ?? null, data: {} });
      }
    });
    return this.get(name, version);
  }

  /** Streams the artifact; archived versions stay downloadable (lineage). */
  async openArtifact(name: string, version: number): Promise<{ body: Readable; size: number; sha256: string; filename: string }> {
    const model = await this.requireModel(name);
    const v = await this.dataSource.getRepository(ModelVersionEntity).findOneBy({ modelId: model.id, version });
    if (!v) throw new VersionNotFound(name, version);
    const { body, size } = await this.store.openRead(v.artifactKey);
    return { body, size, sha256: v.artifactSha256, filename: `${name}-v${version}.onnx` };
  }

  /** Serving's view of one version: where its artifact is and how to read its outputs. */
  async servingSpec(name: string, version: number) {
    const model = await this.requireModel(name);
    const v = await this.dataSource.getRepository(ModelVersionEntity).findOneBy({ modelId: model.id, version });
    if (!v) throw new VersionNotFound(name, version);
    if (v.status === 'archived') throw new VersionArchived(name, version);
    return {
      model: name,
      task: model.task,
      version: v.version,
      artifactKey: v.artifactKey,
      sha256: v.artifactSha256,
      size: Number(v.artifactSize),
      signature: v.signature,
      featureNames: v.featureNames,
      categoricalFeatures: v.categoricalFeatures,
      scoreOutput: v.scoreOutput,
      onlineFeatures: v.onlineFeatures,
    };
  }

  /** Refuses a block that maps a feature the model lacks or names a view, a view feature or entity keys that do not exist. */
  private async checkOnlineFeatures(block: OnlineFeaturesBlock, featureNames: string[]): Promise<void> {
    const views = new Map<string, FeatureViewRecord | undefined>();
    for (const name of viewsOf(block)) views.set(name, await this.views.find(name));
    const problem = checkOnlineFeatures(block, featureNames, views);
    if (problem) throw new InvalidUpload(problem.message, { field: problem.field });
  }

  private async usersOf(model: ModelEntity, version: number): Promise<string[]> {
    const aliases = await this.dataSource.getRepository(ModelAliasEntity).find({ where: { modelId: model.id, version } });
    const users = aliases.map((a) => `alias "${a.alias}"`);
    const t = model.trafficPolicy;
    if (t?.routes.some((r) => r.version === version)) users.push('a traffic route');
    if (t?.shadow?.includes(version)) users.push('traffic shadow');
    if (t?.fallback === version) users.push('traffic fallback');
    return users;
  }

  private async requireModel(name: string): Promise<ModelEntity> {
    const model = await this.dataSource.getRepository(ModelEntity).findOneBy({ name });
    if (!model) throw new ModelNotFound(name);
    return model;
  }
}

export type ServingSpec = Awaited<ReturnType<VersionsService['servingSpec']>>;
