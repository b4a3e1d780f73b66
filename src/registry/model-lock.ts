import type { EntityManager } from 'typeorm';
import { ModelEntity } from './entities/model.entity.js';
import { ModelNotFound } from './registry.errors.js';

/**
 * Locks a model's row for the rest of the transaction. Every write that
 * numbers something per model (versions, serving revisions) takes this lock
 * first, so concurrent writers queue here instead of racing.
 */
export async function lockModel(em: EntityManager, name: string): Promise<ModelEntity> {
  const model = await em
    .getRepository(ModelEntity)
    .createQueryBuilder('m')
    .setLock('pessimistic_write')
    .where('m.name = :name', { name })
    .getOne();
  if (!model) throw new ModelNotFound(name);
  return model;
}
