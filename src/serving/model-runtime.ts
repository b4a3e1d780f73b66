import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import { isCallersMistake } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { type LoadReason, Metrics } from '../metrics/metrics.js';
import { InferenceThreads } from '../onnx/inference-threads.js';
import { OnnxSession } from '../onnx/onnx-session.js';
import { interpretOutputs } from '../onnx/output-decoder.js';
import { inFeatureOrder, tabularLayout } from '../onnx/tabular.js';
import { ModelNotFound } from '../registry/registry.errors.js';
import { type ServingSpec, VersionsService } from '../registry/versions.service.js';
import { ArtifactStore } from '../storage/artifact-store.js';
import { ArtifactCache } from './artifact-cache.js';
import { evictionVictims, waitForRoom } from './load-budget.js';
import { LoadedVersion, versionKey } from './loaded-version.js';
import { NoVersionAvailable, VersionLoading } from './serving.errors.js';
import { warmUp } from './warm-up.js';

/**
 * The in-memory model repository: which versions are loaded in onnxruntime
 * and warm. Routed versions are loaded by the routing table before their
 * revision serves, and are never unloaded, however many there are; the bound
 * on loaded versions governs the others. A pinned call to an unloaded
 * version never loads it on its own path: it starts a background load
 * (bounded in number, and only when memory allows) and answers LOADING.
 */
@Injectable()
export class ModelRuntime implements OnApplicationShutdown {
  private readonly loaded = new Map<string, LoadedVersion>();
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly failures = new Map<string, { at: number; message: string }>();
  private routed = new Set<string>();
  /** Versions a serving revision is loading now: not routed yet, but must not be evicted. */
  private readonly reserved = new Map<string, number>();
  /** Bumped when a model is deleted, so its loads in flight discard what they load. */
  private readonly generations = new Map<string, number>();
  private overBoundWarned = false;
  /** On-demand calls between passing the admission checks and starting their load. */
  private admitting = 0;
  /** Versions loaded through the V2 repository extension: kept until unloaded there. */
  private readonly held = new Set<string>();
  private readonly cache: ArtifactCache;
  /** Where sessions run, beside the event loop (none: on it). */
  private readonly threads?: InferenceThreads;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() private readonly logger: Logger,
    private readonly versions: VersionsService,
    private readonly metrics: Metrics,
    store: ArtifactStore,
  ) {
    this.cache = new ArtifactCache(config.serving.cacheDir, store);
    if (config.serving.inferenceThreads > 0) this.threads = new InferenceThreads(config.serving.inferenceThreads);
  }

  /** The loaded version, or undefined; cheap enough for every request. */
  get(model: string, version: number): LoadedVersion | undefined {
    const v = this.loaded.get(versionKey(model, version));
    if (v) v.lastUsed = Date.now();
    return v;
  }

  isLoaded(model: string, version: number): boolean {
    return this.loaded.has(versionKey(model, version));
  }

  lastFailure(model: string, version: number) {
    return this.failures.get(versionKey(model, version));
  }

  /** Versions the routing table serves: never unloaded. */
  setRouted(keys: Iterable<string>): void {
    this.routed = new Set(keys);
    const max = this.config.serving.maxLoadedVersions;
    this.metrics.routedVersions.set(this.routed.size);
    if (this.routed.size > max && !this.overBoundWarned) {
      this.overBoundWarned = true;
      this.logger.warn(
        { routed: this.routed.size, max_loaded_versions: max },
        'more versions are routed than MODELGATE_MAX_LOADED_VERSIONS; all routed versions stay loaded (raise the bound to match)',
      );
    } else if (this.routed.size <= max) this.overBoundWarned = false;
    this.evict();
  }

  /** Keeps versions from eviction while a serving revision loads them; call the result once they are routed (or not). */
  reserve(keys: readonly string[]): () => void {
    for (const k of keys) this.reserved.set(k, (this.reserved.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of keys) {
        const n = (this.reserved.get(k) ?? 1) - 1;
        if (n > 0) this.reserved.set(k, n);
        else this.reserved.delete(k);
      }
      this.evict();
    };
  }

  /** Loads and warms a version once; concurrent callers share the same load. */
  load(model: string, version: number, reason: LoadReason = 'routed', spec?: ServingSpec): Promise<LoadedVersion> {
    const key = versionKey(model, version);
    const done = this.loaded.get(key);
    if (done) return Promise.resolve(done);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const p: Promise<LoadedVersion> = this.doLoad(model, version, reason, spec).finally(() => {
      if (this.loading.get(key) === p) this.loading.delete(key);
    });
    this.loading.set(key, p);
    return p;
  }

  /**
   * For a pinned call: the version if it is loaded; otherwise starts its
   * load in the background when a load slot and memory allow, and throws
   * LOADING (or the reason it cannot load). Unknown and archived versions
   * throw the registry's error.
   */
  async onDemand(model: string, version: number): Promise<LoadedVersion> {
    const key = versionKey(model, version);
    const now = this.get(model, version);
    if (now) return now;
    if (this.loading.has(key)) throw new VersionLoading(model, version, 'in_progress', 1);
    const failed = this.failures.get(key);
    if (failed && Date.now() - failed.at < this.config.serving.reconcileMs) {
      throw new NoVersionAvailable(model, [{ version, reason: `failed to load (${failed.message.slice(0, 200)})` }]);
    }
    // The slot is taken before the registry lookup, so calls arriving together cannot all pass the check;
    // a refused call still looks the version up, so an unknown one answers 404, not LOADING.
    const busy = this.loading.size + this.admitting >= this.config.serving.maxConcurrentLoads;
    const waitMs = busy ? 0 : this.waitForRoom();
    const admitted = !busy && waitMs === 0;
    if (admitted) this.admitting++;
    let spec: ServingSpec;
    try {
      spec = await this.versions.servingSpec(model, version);
    } finally {
      if (admitted) this.admitting--;
    }
    if (busy) throw new VersionLoading(model, version, 'load_slots_busy', 1);
    if (!admitted) throw new VersionLoading(model, version, 'memory_full', Math.max(1, Math.ceil(waitMs / 1000)));
    const meanwhile = this.get(model, version);
    if (meanwhile) return meanwhile;
    if (this.loading.has(key)) throw new VersionLoading(model, version, 'in_progress', 1);
    // The outcome is logged and counted in doLoad; the next call sees it.
    void this.load(model, version, 'on_demand', spec).catch(() => {});
    throw new VersionLoading(model, version, 'started', 1);
  }

  /** Loads a version and keeps it loaded until `unloadVersion` (the V2 repository's load). */
  async hold(model: string, version: number): Promise<LoadedVersion> {
    const v = await this.load(model, version, 'repository');
    this.held.add(v.key);
    return v;
  }

  /** Unloads one version that is not routed; false when it was not loaded. */
  async unloadVersion(model: string, version: number): Promise<boolean> {
    const key = versionKey(model, version);
    if (this.routed.has(key)) throw new Error(`${key} is routed and stays loaded`);
    this.held.delete(key);
    if (!this.loaded.has(key)) return false;
    await this.unload(key);
    return true;
  }

  isRouted(model: string, version: number): boolean {
    return this.routed.has(versionKey(model, version));
  }

  /** The loaded versions of a model, ascending. */
  loadedVersionsOf(model: string): number[] {
    return [...this.loaded.values()].filter((v) => v.model === model).map((v) => v.version).sort((a, b) => a - b);
  }

  /** Unloads every version of a model (it was deleted); loads in flight for it are discarded when they finish. */
  async unloadModel(model: string): Promise<void> {
    this.generations.set(model, (this.generations.get(model) ?? 0) + 1);
    for (const key of [...this.held]) if (key.startsWith(`${model}@`)) this.held.delete(key);
    for (const key of [...this.loading.keys()]) if (key.startsWith(`${model}@`)) this.loading.delete(key);
    for (const key of [...this.failures.keys()]) if (key.startsWith(`${model}@`)) this.failures.delete(key);
    for (const [key, v] of [...this.loaded]) if (v.model === model) await this.unload(key);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const key of [...this.loaded.keys()]) await this.unload(key);
    await this.threads?.close();
  }

  private async doLoad(model: string, version: number, reason: LoadReason, given?: ServingSpec): Promise<LoadedVersion> {
    const key = versionKey(model, version);
    const generation = this.generations.get(model) ?? 0;
    this.metrics.modelLoads.labels(model, reason).inc();
    const end = this.metrics.modelLoadDuration.startTimer({ model });
    let spec: ServingSpec;
    try {
      spec = given ?? (await this.versions.servingSpec(model, version));
    } catch (err) {
      // An unknown or archived version is the caller's mistake, not a load failure.
      if (!isCallersMistake(err)) this.recordFailure(key, model, version, err);
      throw err;
    }
    let session: OnnxSession | undefined;
    let loaded: LoadedVersion | undefined;
    try {
      session = await this.openSession(spec);
      const found = tabularLayout(spec.signature);
      const layout = found && spec.featureNames.length ? inFeatureOrder(found, spec.featureNames) : found;
      const interpretation = interpretOutputs(spec.task, spec.signature, spec.scoreOutput ?? undefined);
      loaded = new LoadedVersion(
        spec,
        session,
        layout,
        interpretation,
        { maxBatchRows: this.config.serving.batchMaxSize, maxWaitMs: this.config.serving.batchMaxWaitMs, maxQueuedRows: this.config.serving.batchQueueRows },
        {
          failureThreshold: this.config.serving.circuitFailures,
          cooldownMs: this.config.serving.circuitCooldownMs,
          onStateChange: (state) => this.metrics.circuitOpen.set({ model, version: String(version) }, state === 'open' ? 1 : 0),
        },
        this.metrics.inferenceObserver(model, version),
      );
      await warmUp(loaded);
    } catch (err) {
      // A stored artifact that does not load or warm up is the model's
      // failure, whatever the inspector called it at upload; its native
      // session is freed now, or every retry would leak one.
      if (loaded) await loaded.release().catch(() => {});
      else await session?.release().catch(() => {});
      this.recordFailure(key, model, version, err);
      throw new NoVersionAvailable(model, [{ version, reason: `failed to load (${firstLine(err)})` }]);
    }
    if ((this.generations.get(model) ?? 0) !== generation) {
      await loaded.release().catch(() => {});
      this.logger.info({ model, version }, 'model deleted while its version loaded; discarded');
      throw new ModelNotFound(model);
    }
    if (reason === 'on_demand') loaded.residentUntil = Date.now() + this.config.serving.minResidencyMs;
    this.loaded.set(key, loaded);
    this.failures.delete(key);
    this.metrics.modelLoaded.set({ model, version: String(version) }, 1);
    this.metrics.loadedVersions.set(this.loaded.size);
    end();
    this.logger.info({ model, version, reason }, 'model version loaded');
    this.evict();
    return loaded;
  }

  private async openSession(spec: ServingSpec): Promise<OnnxSession> {
    const options = { intraOpThreads: this.config.serving.intraOpThreads, threads: this.threads };
    const file = await this.cache.ensure(spec.artifactKey, spec.sha256);
    try {
      return await OnnxSession.load(file, options);
    } catch (err) {
      // The file had the right hash when cached; if it no longer loads,
      // fetch it again once before giving up.
      this.cache.invalidate(spec.sha256);
      const again = await OnnxSession.load(await this.cache.ensure(spec.artifactKey, spec.sha256), options);
      this.logger.warn({ model: spec.model, version: spec.version, err: (err as Error).message }, 'cached artifact did not load; fetched it again');
      return again;
    }
  }

  private recordFailure(key: string, model: string, version: number, err: unknown): void {
    this.failures.set(key, { at: Date.now(), message: firstLine(err) });
    this.metrics.modelLoadFailures.inc({ model, version: String(version) });
    this.logger.error({ model, version, err: (err as Error).message }, 'model version failed to load');
  }

  /** Routed, being loaded for a revision, or held by the V2 repository: never evicted. */
  private isPinned(key: string): boolean {
    return this.routed.has(key) || this.reserved.has(key) || this.held.has(key);
  }

  private budget(): { routedLoaded: number; unrouted: LoadedVersion[] } {
    let routedLoaded = 0;
    const unrouted: LoadedVersion[] = [];
    for (const v of this.loaded.values()) {
      if (this.isPinned(v.key)) routedLoaded++;
      else unrouted.push(v);
    }
    return { routedLoaded, unrouted };
  }

  /** 0 when an on-demand load may start now; else how long until a loaded unrouted version may be evicted. */
  private waitForRoom(): number {
    const { routedLoaded, unrouted } = this.budget();
    let inFlight = this.admitting;
    for (const key of this.loading.keys()) if (!this.isPinned(key)) inFlight++;
    const s = this.config.serving;
    return waitForRoom(s.maxLoadedVersions, routedLoaded, unrouted, inFlight, Date.now(), s.minResidencyMs);
  }

  private evict(): void {
    const { routedLoaded, unrouted } = this.budget();
    for (const key of evictionVictims(this.config.serving.maxLoadedVersions, routedLoaded, unrouted, Date.now())) void this.unload(key);
  }

  private async unload(key: string): Promise<void> {
    const v = this.loaded.get(key);
    if (!v) return;
    this.loaded.delete(key);
    this.metrics.modelLoaded.remove({ model: v.model, version: String(v.version) });
    this.metrics.loadedVersions.set(this.loaded.size);
    await v.release().catch((err) => this.logger.warn({ key, err: (err as Error).message }, 'session release failed'));
    this.logger.info({ model: v.model, version: v.version }, 'model version unloaded');
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300);
}
