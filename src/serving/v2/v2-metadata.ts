import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors.js';
import type { TensorSpec } from '../../onnx/model-signature.js';
import { VersionsService } from '../../registry/versions.service.js';
import { ModelRuntime } from '../model-runtime.js';
import { InferenceCore } from '../inference-core.js';
import { RoutingTable } from '../routing-table.js';
import { ServingReadiness } from '../serving-readiness.js';

export class NotReady extends AppError {
  constructor(what: string) {
    super('invalid', 'NOT_READY', `${what} is not ready`);
  }
}

/** How many versions model metadata lists at most (the newest ready ones). */
const MAX_LISTED_VERSIONS = 1000;

/** Readiness and metadata of the Open Inference Protocol, for REST and gRPC alike. */
@Injectable()
export class V2Metadata {
  constructor(
    private readonly runtime: ModelRuntime,
    private readonly table: RoutingTable,
    private readonly versions: VersionsService,
    private readonly readiness: ServingReadiness,
    private readonly core: InferenceCore,
  ) {}

  serverReady() {
    const r = this.readiness.check();
    if (!r.ready) throw new NotReady(`the server (${r.reason})`);
    return { ready: true };
  }

  isServerReady(): boolean {
    return this.readiness.check().ready;
  }

  /** Every ready version is listed: any of them can be inferred on by pinning it. */
  async metadata(q: { name: string; version?: number }) {
    const v = q.version ?? this.primaryVersion(q.name);
    const spec = await this.spec(q.name, v);
    const listed = await this.versions.list(q.name, { status: 'ready', limit: MAX_LISTED_VERSIONS });
    const ready = listed.versions.map((x) => x.version).sort((a, b) => a - b);
    return {
      name: q.name,
      versions: ready.map(String),
      platform: 'onnxruntime_onnx',
      inputs: spec.signature.inputs.map(tensorMeta),
      outputs: spec.signature.outputs.map(tensorMeta),
      parameters: { version: String(v), feature_names: spec.featureNames.join(','), task: spec.task },
    };
  }

  /** Ready means loaded and warm: a version answers without loading anything. */
  modelReady(q: { name: string; version?: number }) {
    if (!this.isModelReady(q)) throw new NotReady(q.version !== undefined ? `model "${q.name}" version ${q.version}` : `model "${q.name}"`);
    return q.version !== undefined ? { name: q.name, version: String(q.version), ready: true } : { name: q.name, ready: true };
  }

  isModelReady(q: { name: string; version?: number }): boolean {
    if (q.version !== undefined) return this.runtime.isLoaded(q.name, q.version);
    const routing = this.table.get(q.name);
    return !!routing?.plan.ok && routing.versions.every((v) => this.runtime.isLoaded(q.name, v));
  }

  async spec(name: string, version: number) {
    return this.runtime.get(name, version)?.spec ?? (await this.versions.servingSpec(name, version));
  }

  /** The version most unpinned traffic goes to: the heaviest route of the plan. */
  primaryVersion(name: string): number {
    const routing = this.table.get(name);
    if (!routing?.plan.ok) return this.core.choose(name, { kind: 'routed' }).version;
    return routing.plan.routes.reduce((a, b) => (b.weight > a.weight ? b : a)).version;
  }
}

function tensorMeta(t: TensorSpec) {
  return { name: t.name, datatype: t.datatype, shape: t.shape };
}
