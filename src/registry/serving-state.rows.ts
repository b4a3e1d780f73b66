import type { EntityManager } from 'typeorm';
import type { TrafficPolicyDto } from './dto/serving.dto.js';
import { ModelAliasEntity } from './entities/model-alias.entity.js';
import type { ModelEntity } from './entities/model.entity.js';
import { ModelVersionEntity } from './entities/model-version.entity.js';
import { InvalidTrafficPolicy, VersionArchived, VersionNotFound } from './registry.errors.js';
import type { ServingState, TrafficPolicy } from './serving-state.js';

/**
 * A model's serving state as rows, inside the caller's transaction (the
 * model's row locked): read it, check a proposed one against the versions
 * and aliases that exist, and write its aliases. The service decides what
 * changes and records the revision; these only read, check and write.
 */
export async function readState(em: EntityManager, model: ModelEntity): Promise<ServingState> {
  const rows = await em.getRepository(ModelAliasEntity).find({ where: { modelId: model.id }, order: { alias: 'ASC' } });
  return { aliases: Object.fromEntries(rows.map((r) => [r.alias, r.version])), traffic: model.trafficPolicy };
}

export async function writeAliases(em: EntityManager, model: ModelEntity, before: ServingState, after: ServingState, actor: string) {
  const repo = em.getRepository(ModelAliasEntity);
  for (const alias of Object.keys(before.aliases)) {
    if (!(alias in after.aliases)) await repo.delete({ modelId: model.id, alias });
  }
  for (const [alias, version] of Object.entries(after.aliases)) {
    if (before.aliases[alias] !== version) {
      await repo.upsert({ modelId: model.id, alias, version, updatedBy: actor, updatedAt: new Date() }, ['modelId', 'alias']);
    }
  }
}

export async function requireReadyVersion(em: EntityManager, model: ModelEntity, version: number): Promise<void> {
  const v = await em.getRepository(ModelVersionEntity).findOne({ where: { modelId: model.id, version }, select: { version: true, status: true } });
  if (!v) throw new VersionNotFound(model.name, version);
  if (v.status === 'archived') throw new VersionArchived(model.name, version);
}

/** Every version a state would serve exists and is ready; every routed alias exists. */
export async function validateState(em: EntityManager, model: ModelEntity, state: ServingState): Promise<void> {
  for (const v of new Set(Object.values(state.aliases))) await requireReadyVersion(em, model, v);
  const t = state.traffic;
  if (!t) return;
  const names = new Set<string>();
  for (const [i, r] of t.routes.entries()) {
    if (r.alias !== undefined && !(r.alias in state.aliases)) {
      throw new InvalidTrafficPolicy(`routes.${i}: alias "${r.alias}" does not exist`, { field: `routes.${i}.alias` });
    }
    const variant = r.name ?? (r.alias !== undefined ? r.alias : `v${r.version}`);
    if (names.has(variant)) {
      throw new InvalidTrafficPolicy(`routes.${i}: variant "${variant}" appears twice; give the routes distinct names`, {
        field: `routes.${i}.name`,
      });
    }
    names.add(variant);
    if (r.version !== undefined) await requireReadyVersion(em, model, r.version);
  }
  for (const v of t.shadow ?? []) await requireReadyVersion(em, model, v);
  if (t.fallback !== undefined) await requireReadyVersion(em, model, t.fallback);
}

/** Stores only the keys that were given, in a stable order. */
export function normalisePolicy(p: Omit<TrafficPolicyDto, 'reason'>): TrafficPolicy {
  const out: TrafficPolicy = {
    routes: p.routes.map((r) => ({
      ...(r.version !== undefined ? { version: r.version } : { alias: r.alias }),
      weight: r.weight,
      ...(r.name ? { name: r.name } : {}),
    })),
  };
  if (p.sticky) out.sticky = p.sticky;
  if (p.shadow?.length) out.shadow = [...new Set(p.shadow)];
  if (p.fallback !== undefined) out.fallback = p.fallback;
  if (p.timeout_ms !== undefined) out.timeout_ms = p.timeout_ms;
  if (p.shadow_sample !== undefined) out.shadow_sample = p.shadow_sample;
  return out;
}
