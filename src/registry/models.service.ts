import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { Actor } from '../auth/scopes.decorator.js';
import { decodeCursor, toPage } from '../common/page-cursor.js';
import { ArtifactSweeper } from './artifact-sweeper.js';
import type { CreateModelDto, ListModelsQuery, PatchModelDto } from './dto/model.dto.js';
import { ModelAliasEntity } from './entities/model-alias.entity.js';
import { ModelEntity } from './entities/model.entity.js';
import { ModelVersionEntity } from './entities/model-version.entity.js';
import { ArtifactGcEntity } from './entities/artifact-gc.entity.js';
import { lockModel } from './model-lock.js';
import { ModelExists, ModelInUse, ModelNotFound } from './registry.errors.js';
import { SERVING_CHANNEL, ServingStateEvents } from './serving-state.events.js';
import { modelView, type ModelView } from './registry.views.js';
import { RegistryEvents } from './events/registry-events.js';

@Injectable()
export class ModelsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sweeper: ArtifactSweeper,
    private readonly events: ServingStateEvents,
    private readonly registryEvents: RegistryEvents,
  ) {}

  async create(dto: CreateModelDto, actor: Actor): Promise<ModelView> {
    await this.dataSource.transaction(async (em) => {
      const rows = await em
        .getRepository(ModelEntity)
        .createQueryBuilder()
        .insert()
        .values({
          name: dto.name,
          task: dto.task,
          description: dto.description,
          owner: dto.owner ?? null,
          tags: dto.tags,
          monitoringPolicy: dto.monitoring_policy,
          releasePolicy: dto.release_policy,
          createdBy: actor.keyId,
        })
        .orIgnore()
        .returning('*')
        .execute();
      if (!rows.identifiers.length || !rows.raw.length) throw new ModelExists(dto.name);
      await this.registryEvents.record(em, { type: 'model.created', model: dto.name, actor: actor.keyId, data: { task: dto.task, owner: dto.owner ?? null, tags: dto.tags } });
    });
    return this.get(dto.name);
  }

  async get(name: string): Promise<ModelView> {
    const model = await this.dataSource.getRepository(ModelEntity).findOneBy({ name });
    if (!model) throw new ModelNotFound(name);
    const aliases = await this.dataSource.getRepository(ModelAliasEntity).find({ where: { modelId: model.id }, order: { alias: 'ASC' } });
    return modelView(model, aliases);
  }

  async list(q: ListModelsQuery): Promise<{ models: ModelView[]; next_cursor: string | null }> {
    const qb = this.dataSource.getRepository(ModelEntity).createQueryBuilder('m').orderBy('m.name', 'ASC').limit(q.limit + 1);
    const tags = q.tag === undefined ? [] : Array.isArray(q.tag) ? q.tag : [q.tag];
    tags.forEach((t, i) => {
      const sep = t.indexOf(':');
      if (sep < 0) qb.andWhere(`m.tags ? :tk${i}`, { [`tk${i}`]: t });
      else qb.andWhere(`m.tags @> :tv${i}::jsonb`, { [`tv${i}`]: JSON.stringify({ [t.slice(0, sep)]: t.slice(sep + 1) }) });
    });
    if (q.task) qb.andWhere('m.task = :task', { task: q.task });
    // strpos, not LIKE: the search text needs no escaping of % and _.
    if (q.q) qb.andWhere('strpos(lower(m.name), lower(:q)) > 0', { q: q.q });
    if (q.cursor) qb.andWhere('m.name > :after', { after: decodeCursor(q.cursor) });
    const { items: page, next_cursor } = toPage(await qb.getMany(), q.limit, (m) => m.name);
    const aliases = page.length
      ? await this.dataSource.getRepository(ModelAliasEntity).find({ where: { modelId: In(page.map((m) => m.id)) }, order: { alias: 'ASC' } })
      : [];
    return {
      models: page.map((m) => modelView(m, aliases.filter((a) => a.modelId === m.id))),
      next_cursor,
    };
  }

  async patch(name: string, dto: PatchModelDto, actor?: Actor): Promise<ModelView> {
    await this.dataSource.transaction(async (em) => {
      const model = await lockModel(em, name);
      await em.getRepository(ModelEntity).update(
        { id: model.id },
        {
          ...(dto.description !== undefined ? { description: dto.description } : {}),
          ...(dto.owner !== undefined ? { owner: dto.owner } : {}),
          ...(dto.tags !== undefined ? { tags: dto.tags } : {}),
          ...(dto.monitoring_policy !== undefined ? { monitoringPolicy: dto.monitoring_policy } : {}),
          ...(dto.release_policy !== undefined ? { releasePolicy: dto.release_policy } : {}),
          updatedAt: () => 'now()',
        } as any,
      );
      await this.registryEvents.record(em, {
        type: 'model.updated',
        model: name,
        actor: actor?.keyId ?? null,
        data: { changed: Object.keys(dto).sort(), ...(dto.tags !== undefined ? { tags: dto.tags } : {}), ...(dto.release_policy !== undefined ? { release_policy: dto.release_policy } : {}) },
      });
    });
    return this.get(name);
  }

  /**
   * Deletes a model with its versions, history and artifacts. Refused while
   * anything could be serving it: the caller removes aliases and the traffic
   * policy first, so a delete never takes live traffic down by accident.
   */
  async delete(name: string): Promise<void> {
    const keys = await this.dataSource.transaction(async (em) => {
      const model = await lockModel(em, name);
      const aliases = await em.getRepository(ModelAliasEntity).find({ where: { modelId: model.id } });
      if (aliases.length || model.trafficPolicy) {
        throw new ModelInUse(name, {
          aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
          traffic_policy: model.trafficPolicy !== null,
        });
      }
      const versions = await em.getRepository(ModelVersionEntity).find({ where: { modelId: model.id }, select: { artifactKey: true } });
      const keys = versions.map((v) => v.artifactKey);
      if (keys.length) {
        await em.getRepository(ArtifactGcEntity).upsert(keys.map((key) => ({ key, reason: 'deleted' as const })), ['key']);
      }
      await em.getRepository(ModelEntity).delete({ id: model.id });
      await em.query('SELECT pg_notify($1, $2)', [SERVING_CHANNEL, JSON.stringify({ model: name, deleted: true })]);
      return keys;
    });
    await this.events.publish({ model: name, deleted: true });
    await this.sweeper.deleteNow(keys);
  }
}
