import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import ort from 'onnxruntime-node';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import { AppError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { ortTypeOf } from '../onnx/datatypes.js';
import type { TensorSpec } from '../onnx/model-signature.js';
import { OnnxSession } from '../onnx/onnx-session.js';
import { interpretOutputs } from '../onnx/output-decoder.js';
import { inFeatureOrder, tabularLayout } from '../onnx/tabular.js';
import { VersionsService } from '../registry/versions.service.js';
import { ArtifactStore } from '../storage/artifact-store.js';
import { ArtifactCache } from './artifact-cache.js';
import { LoadedVersion, versionKey } from './loaded-version.js';

/**
 * The in-memory model repository: which versions are loaded in onnxruntime
 * and warm. Loading is triggered by routing changes (or a first pinned
 * request), never by routed traffic. Least recently used versions are
 * unloaded past the configured bound; routed versions never are.
 */
@Injectable()
export class ModelRuntime implements OnApplicationShutdown {
  private readonly loaded = new Map<string, LoadedVersion>();
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly failures = new Map<string, { at: number; message: string }>();
  private routed = new Set<string>();
  /** Versions loaded through the V2 repository extension: kept until unloaded there. */
  private readonly held = new Set<string>();
  private readonly cache: ArtifactCache;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() private readonly logger: Logger,
    private readonly versions: VersionsService,
    private readonly metrics: Metrics,
    store: ArtifactStore,
  ) {
    this.cache = new ArtifactCache(config.serving.cacheDir, store);
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
    this.evict();
  }

  /** Loads and warms a version once; concurrent callers share the same load. */
  load(model: string, version: number): Promise<LoadedVersion> {
    const key = versionKey(model, version);
    const done = this.loaded.get(key);
    if (done) return Promise.resolve(done);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const p = this.doLoad(model, version).finally(() => this.loading.delete(key));
    this.loading.set(key, p);
    return p;
  }

  /** Loads a version and keeps it loaded until `unloadVersion` (the V2 repository's load). */
  async hold(model: string, version: number): Promise<LoadedVersion> {
    const v = await this.load(model, version);
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

  /** Unloads every version of a model (it was deleted). */
  async unloadModel(model: string): Promise<void> {
    for (const key of [...this.held]) if (key.startsWith(`${model}@`)) this.held.delete(key);
    for (const [key, v] of this.loaded) if (v.model === model) await this.unload(key);
  }


  async onApplicationShutdown(): Promise<void> {
    for (const key of [...this.loaded.keys()]) await this.unload(key);
  }

  private async doLoad(model: string, version: number): Promise<LoadedVersion> {
    const key = versionKey(model, version);
    const end = this.metrics.modelLoadDuration.startTimer({ model });
    try {
      const spec = await this.versions.servingSpec(model, version);
      let session: OnnxSession;
      const file = await this.cache.ensure(spec.artifactKey, spec.sha256);
      try {
        session = await OnnxSession.load(file, { intraOpThreads: this.config.serving.intraOpThreads });
      } catch (err) {
        // The file had the right hash when cached; if it no longer loads,
        // fetch it again once before giving up.
        this.cache.invalidate(spec.sha256);
        session = await OnnxSession.load(await this.cache.ensure(spec.artifactKey, spec.sha256), {
          intraOpThreads: this.config.serving.intraOpThreads,
        });
        this.logger.warn({ model, version, err: (err as Error).message }, 'cached artifact did not load; fetched it again');
      }
      const found = tabularLayout(spec.signature);
      const layout = found && spec.featureNames.length ? inFeatureOrder(found, spec.featureNames) : found;
      const interpretation = interpretOutputs(spec.task, spec.signature, spec.scoreOutput ?? undefined);
      const observer = this.metrics.inferenceObserver(model, version);
      const loaded = new LoadedVersion(
        spec,
        session,
        layout,
        interpretation,
        { maxBatchRows: this.config.serving.batchMaxSize, maxWaitMs: this.config.serving.batchMaxWaitMs },
        {
          failureThreshold: this.config.serving.circuitFailures,
          cooldownMs: this.config.serving.circuitCooldownMs,
          onStateChange: (state) => this.metrics.circuitOpen.set({ model, version: String(version) }, state === 'open' ? 1 : 0),
        },
        observer,
      );
      await warmUp(loaded);
      this.loaded.set(key, loaded);
      this.failures.delete(key);
      this.metrics.modelLoaded.set({ model, version: String(version) }, 1);
      this.metrics.loadedVersions.set(this.loaded.size);
      end();
      this.logger.info({ model, version }, 'model version loaded');
      this.evict();
      return loaded;
    } catch (err) {
      // An unknown or archived version is the caller's mistake, not a load failure.
      if (err instanceof AppError && err.status < 500) throw err;
      this.failures.set(key, { at: Date.now(), message: (err as Error).message });
      this.metrics.modelLoadFailures.inc({ model, version: String(version) });
      this.logger.error({ model, version, err: (err as Error).message }, 'model version failed to load');
      throw err;
    }
  }

  private evict(): void {
    const max = this.config.serving.maxLoadedVersions;
    if (this.loaded.size <= max) return;
    const candidates = [...this.loaded.values()].filter((v) => !this.routed.has(v.key) && !this.held.has(v.key)).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const v of candidates) {
      if (this.loaded.size <= max) break;
      void this.unload(v.key);
    }
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

/** One inference on zeros, so the first real request does not pay for lazy initialisation. */
async function warmUp(v: LoadedVersion): Promise<void> {
  if (v.tabular) {
    const data = v.allocate(1);
    const { results, offset } = await v.infer(data, 1);
    v.decode(results, offset, 1);
    return;
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of v.spec.signature.inputs) feeds[input.name] = zeroTensor(input);
  await v.run(feeds);
}

function zeroTensor(spec: TensorSpec): ort.Tensor {
  const dims = spec.shape.map((d) => (d < 0 ? 1 : d));
  const n = dims.reduce((a, b) => a * b, 1);
  // Every datatype the Open Inference Protocol lists, each in its own element type.
  const zeros: Record<TensorSpec['datatype'], () => ort.Tensor.DataType> = {
    FP32: () => new Float32Array(n), FP64: () => new Float64Array(n), FP16: () => new Uint16Array(n),
    INT8: () => new Int8Array(n), INT16: () => new Int16Array(n), INT32: () => new Int32Array(n), INT64: () => new BigInt64Array(n),
    UINT8: () => new Uint8Array(n), UINT16: () => new Uint16Array(n), UINT32: () => new Uint32Array(n), UINT64: () => new BigUint64Array(n),
    BOOL: () => new Uint8Array(n), BYTES: () => new Array<string>(n).fill(''),
  };
  return new ort.Tensor(ortTypeOf(spec.datatype), zeros[spec.datatype]() as never, dims);
}
