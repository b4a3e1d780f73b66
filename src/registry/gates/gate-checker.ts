import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ModelEntity } from '../entities/model.entity.js';
import { ModelNotFound, VersionNotFound } from '../registry.errors.js';
import { evaluateGates, type GateResult, type VersionFacts } from './promotion-gates.js';
import { isGuarded, type ReleasePolicy, releasePolicyOf } from './release-policy.js';

export interface GateCheck {
  model: string;
  alias: string;
  version: number;
  /** Whether the alias is guarded; an unguarded alias has no gates and passes. */
  guarded: boolean;
  passed: boolean;
  gates: GateResult[];
  /** The version the alias serves now (null: a new alias). */
  current_version: number | null;
  policy: ReleasePolicy;
}

interface FactsRow {
  version: number;
  feature_names: string[];
  signature: VersionFacts['signature'];
  score_output: VersionFacts['scoreOutput'];
  metrics: Record<string, number>;
  has_baseline: boolean;
}

/**
 * Reads what the promotion gates judge (the candidate, what the alias serves
 * now, the model's release policy) and judges it with `evaluateGates`. The
 * releases module calls `check` before a rollout starts, against `production`.
 */
@Injectable()
export class GateChecker {
  constructor(private readonly dataSource: DataSource) {}

  /** The gate check entry point: (model, candidate version, alias) -> each gate's result. */
  async check(model: string, candidateVersion: number, alias: string, em: EntityManager = this.dataSource.manager): Promise<GateCheck> {
    const m = await em.getRepository(ModelEntity).findOneBy({ name: model });
    if (!m) throw new ModelNotFound(model);
    const [current] = await em.query(`SELECT version FROM model_aliases WHERE model_id = $1 AND alias = $2`, [m.id, alias]);
    return this.checkModel(em, m, candidateVersion, alias, current ? Number(current.version) : null);
  }

  /** The same, for a caller that already holds the model (under its lock) and knows what the alias serves. */
  async checkModel(em: EntityManager, model: ModelEntity, candidateVersion: number, alias: string, currentVersion: number | null): Promise<GateCheck> {
    const policy = releasePolicyOf(model.releasePolicy);
    const base = { model: model.name, alias, version: candidateVersion, current_version: currentVersion, policy };
    if (!isGuarded(policy, alias)) return { ...base, guarded: false, passed: true, gates: [] };
    const rows: FactsRow[] = await em.query(
      `SELECT version, feature_names, signature, score_output, metrics, baseline IS NOT NULL AS has_baseline
         FROM model_versions WHERE model_id = $1 AND version = ANY($2::int[])`,
      [model.id, currentVersion === null ? [candidateVersion] : [candidateVersion, currentVersion]],
    );
    const facts = (v: number): VersionFacts | null => {
      const r = rows.find((x) => Number(x.version) === v);
      return r
        ? { version: v, task: model.task, featureNames: r.feature_names, signature: r.signature, scoreOutput: r.score_output, metrics: r.metrics ?? {}, hasBaseline: r.has_baseline }
        : null;
    };
    const candidate = facts(candidateVersion);
    if (!candidate) throw new VersionNotFound(model.name, candidateVersion);
    const report = evaluateGates({ alias, policy, candidate, current: currentVersion === null ? null : facts(currentVersion) });
    return { ...base, guarded: true, ...report };
  }
}
