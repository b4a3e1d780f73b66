import { createRequire } from 'node:module';
import { Injectable } from '@nestjs/common';
import ort from 'onnxruntime-node';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ValidationFailed } from '../common/errors.js';
import { type HttpRouteDef, HttpRouteTable } from '../common/http-route-table.js';
import { parseVersionParam } from '../common/validation.js';
import type { TensorSpec } from '../onnx/model-signature.js';
import { tensorFromV2, tensorToV2, type V2InputTensor, type V2Tensor } from '../onnx/v2-tensors.js';
import { VersionsService } from '../registry/versions.service.js';
import type { InferenceResults, LoadedVersion } from './loaded-version.js';
import { ModelRuntime } from './model-runtime.js';
import { type Choice, PredictionService, type Target } from './prediction.service.js';
import { stickyKeyFrom } from './routing/traffic-router.js';
import { RoutingTable } from './routing-table.js';
import { NoVersionAvailable } from './serving.errors.js';
import { ServingReadiness } from './serving-readiness.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

interface InferBody {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2InputTensor[];
  outputs?: { name: string }[];
}

class NotReady extends AppError {
  constructor(what: string) {
    super('invalid', 'NOT_READY', `${what} is not ready`);
  }
}

export const INFER_BODY_SCHEMA = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters: { type: 'object' },
    inputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: { name: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } }, datatype: { type: 'string' }, data: { type: 'array' } },
      },
    },
    outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
  },
};

/**
 * The Open Inference Protocol (KServe V2 REST) beside `/v1`, so KServe and
 * Triton clients work unchanged. Inference goes through the same core
 * (routing, micro-batching, fallback, telemetry); errors answer in the
 * protocol's `{"error": "..."}` shape with our stable `code` beside it.
 */
@Injectable()
export class V2Routes {
  constructor(
    routes: HttpRouteTable,
    private readonly predictions: PredictionService,
    private readonly runtime: ModelRuntime,
    private readonly table: RoutingTable,
    private readonly versions: VersionsService,
    private readonly readiness: ServingReadiness,
  ) {
    const meta = { method: 'GET' as const, scope: 'predict' as const, tags: ['open-inference-protocol'] };
    const infer = { method: 'POST' as const, scope: 'predict' as const, tags: ['open-inference-protocol'], hot: true, bodySchema: INFER_BODY_SCHEMA };
    const defs: HttpRouteDef[] = [
      { method: 'GET', scope: null, tags: meta.tags, url: '/v2/health/live', summary: 'Server live', handler: () => ({ live: true }) },
      { method: 'GET', scope: null, tags: meta.tags, url: '/v2/health/ready', summary: 'Server ready', handler: () => this.serverReady() },
      { ...meta, url: '/v2', summary: 'Server metadata', handler: () => ({ name: 'modelgate', version: pkg.version, extensions: [] }) },
      { ...meta, url: '/v2/models/:name', summary: 'Model metadata (the routed version)', handler: (q) => this.metadata(q) },
      { ...meta, url: '/v2/models/:name/versions/:version', summary: 'Model version metadata', handler: (q) => this.metadata(q) },
      { ...meta, url: '/v2/models/:name/ready', summary: 'Model ready', handler: (q) => this.modelReady(q) },
      { ...meta, url: '/v2/models/:name/versions/:version/ready', summary: 'Model version ready', handler: (q) => this.modelReady(q) },
      { ...infer, url: '/v2/models/:name/infer', summary: 'Inference, routed by the traffic policy', handler: (q, r) => this.infer(q, r) },
      { ...infer, url: '/v2/models/:name/versions/:version/infer', summary: 'Inference on a pinned version', handler: (q, r) => this.infer(q, r) },
    ];
    routes.add(...defs);
  }


  private serverReady() {
    const r = this.readiness.check();
    if (!r.ready) throw new NotReady(`the server (${r.reason})`);
    return { ready: true };
  }

  private async metadata(request: FastifyRequest) {
    const { name, version } = request.params as { name: string; version?: string };
    const v = version !== undefined ? parseVersionParam(version) : this.primaryVersion(name);
    const loaded = this.runtime.get(name, v);
    const spec = loaded?.spec ?? (await this.versions.servingSpec(name, v));
    const routing = this.table.get(name);
    return {
      name,
      versions: (routing?.versions ?? [v]).map(String),
      platform: 'onnxruntime_onnx',
      inputs: spec.signature.inputs.map(tensorMeta),
      outputs: spec.signature.outputs.map(tensorMeta),
      parameters: { version: String(v), feature_names: spec.featureNames, task: spec.task },
    };
  }

  private modelReady(request: FastifyRequest) {
    const { name, version } = request.params as { name: string; version?: string };
    if (version !== undefined) {
      const v = parseVersionParam(version);
      if (!this.runtime.isLoaded(name, v)) throw new NotReady(`model "${name}" version ${v}`);
      return { name, version: String(v), ready: true };
    }
    const routing = this.table.get(name);
    if (!routing?.plan.ok || routing.versions.some((v) => !this.runtime.isLoaded(name, v))) throw new NotReady(`model "${name}"`);
    return { name, ready: true };
  }

  /** The version most unpinned traffic goes to: the heaviest route of the plan. */
  private primaryVersion(name: string): number {
    const routing = this.table.get(name);
    if (!routing?.plan.ok) return this.predictions.choose(name, { kind: 'routed' }).version;
    return routing.plan.routes.reduce((a, b) => (b.weight > a.weight ? b : a)).version;
  }

  private async infer(request: FastifyRequest, _reply: FastifyReply) {
    const { name, version } = request.params as { name: string; version?: string };
    const body = inferBody(request.body);
    let target: Target;
    if (version !== undefined) target = { kind: 'version', version: parseVersionParam(version) };
    else {
      const sticky = this.predictions.stickySource(name);
      // A `field:` sticky key may sit at the top level or in the protocol's `parameters`.
      const stickyKey = sticky ? stickyKeyFrom(sticky, request.headers as any, { ...(body.parameters ?? {}), ...(request.body as object) }) : undefined;
      target = { kind: 'routed', stickyKey };
    }
    const choice = this.predictions.choose(name, target);
    const lv = await this.predictions.loadedFor(name, choice);
    const wanted = body.outputs?.map((o) => o.name);

    // Tabular models go through the shared core (batching, fallback,
    // telemetry); others run their tensors as given.
    // A routed version that is not loaded may still be answered by the
    // fallback: read the tensor with whichever version will take it.
    const reader = lv ?? (choice.fallback !== undefined ? this.runtime.get(name, choice.fallback) : undefined);
    if (!reader) throw new NoVersionAvailable(name, [{ version: choice.version, reason: 'not loaded' }]);
    const m = tabularMatrix(reader, body.inputs);
    if (m) {
      const out = await this.predictions.run(name, choice, { matrix: m }, 'v2');
      return this.answer(body, out.answer.model, out.served, out.results, out.offset, m.rows, wanted, {
        variant: out.answer.variant,
        fallback: out.answer.fallback,
        prediction_ids: out.answer.predictions.map((p) => p.prediction_id),
      });
    }
    return this.runDirect(name, choice, reader, body, wanted);
  }

  private async runDirect(name: string, choice: Choice, lv: LoadedVersion, body: InferBody, wanted?: string[]) {
    const feeds: Record<string, ort.Tensor> = {};
    const byName = new Map(body.inputs.map((i, k) => [i?.name, k]));
    for (const spec of lv.spec.signature.inputs) {
      const k = byName.get(spec.name);
      if (k === undefined) throw new ValidationFailed(`input "${spec.name}" is required`, { input: spec.name });
      feeds[spec.name] = tensorFromV2(body.inputs[k], spec);
    }
    for (const i of body.inputs) {
      if (!(i.name in feeds)) throw new ValidationFailed(`the model has no input "${i.name}"`, { input: i.name });
    }
    let results: InferenceResults;
    try {
      results = await lv.run(feeds);
    } catch (err) {
      throw new ValidationFailed(`inference failed: ${(err as Error).message.split('\n')[0]}`, {});
    }
    const rows = feeds[lv.spec.signature.inputs[0].name].dims[0] ?? 1;
    return this.answer(body, name, lv, results, 0, rows, wanted, { variant: choice.variant, fallback: false });
  }

  private answer(
    body: InferBody,
    name: string,
    lv: LoadedVersion,
    results: InferenceResults,
    offset: number,
    rows: number,
    wanted: string[] | undefined,
    parameters: Record<string, unknown>,
  ) {
    const names = wanted ?? lv.spec.signature.outputs.map((o) => o.name);
    const outputs: V2Tensor[] = names.map((n) => {
      const t = results[n];
      if (!t) throw new ValidationFailed(`the model has no output "${n}"`, { output: n });
      return tensorToV2(n, sliceRows(t, offset, rows));
    });
    return { model_name: name, model_version: String(lv.version), ...(body.id !== undefined ? { id: body.id } : {}), parameters, outputs };
  }
}

function inferBody(body: unknown): InferBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationFailed('the body must be a JSON object with "inputs"', { field: 'body' });
  }
  const b = body as Partial<InferBody>;
  if (!Array.isArray(b.inputs) || b.inputs.length === 0) throw new ValidationFailed('"inputs" must be a non-empty array of tensors', { field: 'inputs' });
  if (b.id !== undefined && typeof b.id !== 'string') throw new ValidationFailed('"id" must be a string', { field: 'id' });
  if (b.outputs !== undefined && (!Array.isArray(b.outputs) || b.outputs.some((o) => typeof o?.name !== 'string'))) {
    throw new ValidationFailed('"outputs" must be an array of {"name": ...}', { field: 'outputs' });
  }
  return b as InferBody;
}

/** The request as a feature matrix when the version takes one [N, F] input and the request sends exactly it. */
function tabularMatrix(lv: LoadedVersion, inputs: V2InputTensor[]) {
  const layout = lv.layout;
  if (!lv.tabular || layout?.kind !== 'matrix' || inputs.length !== 1) return undefined;
  if (inputs[0]?.name !== layout.input.name) {
    throw new ValidationFailed(`the model has no input "${String(inputs[0]?.name)}"; its input is "${layout.input.name}"`, { input: inputs[0]?.name });
  }
  const t = tensorFromV2(inputs[0], layout.input);
  const data = t.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    // Integer inputs: widen to float64 so the shared reader path applies.
    return { data: Float64Array.from(data as ArrayLike<number>, Number), rows: t.dims[0], width: layout.width };
  }
  return { data, rows: t.dims[0], width: layout.width };
}

function sliceRows(t: ort.Tensor, offset: number, rows: number): ort.Tensor {
  if (t.dims.length === 0 || (offset === 0 && t.dims[0] === rows)) return t;
  let inner = 1;
  for (let i = 1; i < t.dims.length; i++) inner *= t.dims[i];
  const data = t.data as any;
  const part = typeof data.subarray === 'function' ? data.subarray(offset * inner, (offset + rows) * inner) : data.slice(offset * inner, (offset + rows) * inner);
  return new ort.Tensor(t.type as any, part, [rows, ...t.dims.slice(1)]);
}

function tensorMeta(t: TensorSpec) {
  return { name: t.name, datatype: t.datatype, shape: t.shape };
}

