import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { Conflict, ValidationFailed } from '../../common/errors.js';
import { type HttpRouteDef, HttpRouteTable } from '../../common/http-route-table.js';
import { parseVersionParam } from '../../common/validation.js';
import { Metrics } from '../../metrics/metrics.js';
import { VersionsService } from '../../registry/versions.service.js';
import { ModelRuntime } from '../model-runtime.js';
import { RoutingTable } from '../routing-table.js';
import { modelConfig } from './model-config.js';
import { modelStats, type Sample } from './model-stats.js';
import { V2Metadata } from './v2-metadata.js';

export class VersionRouted extends Conflict {
  constructor(model: string, versions: number[]) {
    super('VERSION_ROUTED', `model "${model}" version ${versions.join(', ')} is routed by its traffic policy or aliases and stays loaded; change the routing first`, {
      model,
      versions,
    });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The V2 extensions beyond inference: model configuration (Triton's
 * shape), statistics (from the serving metrics) and the model repository
 * (load a version ahead of traffic and keep it until unloaded; a routed
 * version cannot be unloaded).
 */
@Injectable()
export class V2Extensions {
  constructor(
    routes: HttpRouteTable,
    @InjectConfig() private readonly config: AppConfig,
    private readonly meta: V2Metadata,
    private readonly runtime: ModelRuntime,
    private readonly table: RoutingTable,
    private readonly versions: VersionsService,
    private readonly metrics: Metrics,
  ) {
    const tags = ['open-inference-protocol'];
    const read = { method: 'GET' as const, scope: 'predict' as const, tags };
    const write = { method: 'POST' as const, scope: 'registry:write' as const, tags };
    const defs: HttpRouteDef[] = [
      { ...read, url: '/v2/models/:name/config', summary: 'Model configuration (Triton shape)', handler: (q) => this.modelConfig(q) },
      { ...read, url: '/v2/models/:name/versions/:version/config', summary: 'Model version configuration', handler: (q) => this.modelConfig(q) },
      { ...read, url: '/v2/models/stats', summary: 'Statistics of every model', handler: () => this.stats() },
      { ...read, url: '/v2/models/:name/stats', summary: 'Model statistics per version', handler: (q) => this.stats(q) },
      { ...read, url: '/v2/models/:name/versions/:version/stats', summary: 'Model version statistics', handler: (q) => this.stats(q) },
      { ...write, url: '/v2/repository/index', summary: 'Model repository index', handler: (q) => this.index(q) },
      { ...write, audited: true, url: '/v2/repository/models/:name/load', summary: 'Load a version (parameters.version; default the routed versions) and keep it', handler: (q) => this.load(q) },
      { ...write, audited: true, url: '/v2/repository/models/:name/unload', summary: 'Unload a version that is not routed (parameters.version; default every such version)', handler: (q) => this.unload(q) },
    ];
    routes.add(...defs);
  }

  private async modelConfig(request: FastifyRequest) {
    const { name, version } = pathOf(request);
    const v = version ?? this.meta.primaryVersion(name);
    const spec = await this.meta.spec(name, v);
    const listed = await this.versions.list(name, { status: 'ready', limit: 1000 });
    const loaded = this.runtime.get(name, v);
    return modelConfig({
      name,
      versions: listed.versions.map((x) => x.version).sort((a, b) => a - b),
      inputs: spec.signature.inputs,
      outputs: spec.signature.outputs,
      batched: loaded ? loaded.tabular : spec.featureNames.length > 0,
      maxBatchRows: this.config.serving.batchMaxSize,
      maxWaitMs: this.config.serving.batchMaxWaitMs,
    });
  }

  private async stats(request?: FastifyRequest) {
    const q = request ? pathOf(request) : undefined;
    const samples = async (m: { get(): Promise<{ values: unknown[] }> }) => (await m.get()).values as Sample[];
    const sources = {
      requests: await samples(this.metrics.predictionRequests),
      errors: await samples(this.metrics.predictionErrors),
      duration: await samples(this.metrics.predictionDuration),
      inference: await samples(this.metrics.inferenceDuration),
      batchRows: await samples(this.metrics.inferenceBatchRows),
    };
    const models = q ? [q.name] : [...new Set(sources.requests.map((s) => String(s.labels.model)))].sort();
    const all = models.flatMap((model) => {
      if (q) this.meta.primaryVersion(model); // throws MODEL_NOT_FOUND for a model serving does not know
      const seen = new Set<number>([...sources.requests, ...sources.inference].filter((s) => s.labels.model === model).map((s) => Number(s.labels.version)));
      for (const v of this.runtime.loadedVersionsOf(model)) seen.add(v);
      const versions = q?.version !== undefined ? [q.version] : [...seen].sort((a, b) => a - b);
      return modelStats(model, versions, sources).model_stats;
    });
    return { model_stats: all };
  }

  private index(request: FastifyRequest) {
    const body = bodyOf(request);
    const readyOnly = body.ready === true;
    const out: { name: string; version: string; state: string; reason: string }[] = [];
    for (const r of [...this.table.models()].sort((a, b) => a.model.localeCompare(b.model))) {
      const versions = new Set([...r.versions, ...this.runtime.loadedVersionsOf(r.model)]);
      for (const v of [...versions].sort((a, b) => a - b)) {
        const ready = this.runtime.isLoaded(r.model, v);
        const failure = this.runtime.lastFailure(r.model, v);
        if (readyOnly && !ready) continue;
        out.push({ name: r.model, version: String(v), state: ready ? 'READY' : 'UNAVAILABLE', reason: ready ? '' : (failure?.message ?? 'not loaded') });
      }
    }
    return out;
  }

  private async load(request: FastifyRequest) {
    await this.loadVersions(pathOf(request).name, versionOf(bodyOf(request)));
    return {};
  }

  private async unload(request: FastifyRequest) {
    await this.unloadVersions(pathOf(request).name, versionOf(bodyOf(request)));
    return {};
  }

  /** Loads `version` (default: the routed versions) and keeps it until unloaded; REST and gRPC. */
  async loadVersions(name: string, version?: number): Promise<void> {
    const targets = version !== undefined ? [version] : (this.table.get(name)?.versions ?? []);
    if (!targets.length) this.meta.primaryVersion(name); // MODEL_NOT_FOUND or MODEL_NOT_SERVING
    for (const v of targets) await this.runtime.hold(name, v);
  }

  /** Unloads `version` (default: every loaded one); refused for routed versions. */
  async unloadVersions(name: string, version?: number): Promise<void> {
    const targets = version !== undefined ? [version] : this.runtime.loadedVersionsOf(name);
    const routed = targets.filter((v) => this.runtime.isRouted(name, v));
    if (routed.length) throw new VersionRouted(name, routed);
    for (const v of targets) await this.runtime.unloadVersion(name, v);
  }
}

function pathOf(request: FastifyRequest): { name: string; version?: number } {
  const { name, version } = request.params as { name: string; version?: string };
  return { name, version: version !== undefined ? parseVersionParam(version) : undefined };
}

/** The request's `parameters`; Triton's client sends an empty body or `{"parameters": {...}}` with no Content-Type. */
function bodyOf(request: FastifyRequest): Record<string, unknown> {
  let b: unknown = request.body;
  if (Buffer.isBuffer(b)) {
    if (b.length === 0) return {};
    try {
      b = JSON.parse(b.toString('utf8'));
    } catch {
      throw new ValidationFailed('the body must be a JSON object', { field: 'body' });
    }
  }
  if (b === undefined || b === null) return {};
  if (!isObject(b)) throw new ValidationFailed('the body must be a JSON object', { field: 'body' });
  const p = b.parameters;
  if (p !== undefined && !isObject(p)) throw new ValidationFailed('"parameters" must be an object', { field: 'parameters' });
  return { ...b, ...p };
}

function versionOf(p: Record<string, unknown>): number | undefined {
  const v = p.version;
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  if (typeof v === 'string') return parseVersionParam(v);
  throw new ValidationFailed('parameters.version must be a version number', { field: 'parameters.version' });
}
