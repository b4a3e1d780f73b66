import { createRequire } from 'node:module';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { type HttpRouteDef, HttpRouteTable } from '../common/http-route-table.js';
import { parseVersionParam } from '../common/validation.js';
import { InferenceCore } from './inference-core.js';
import { parseInferRequest } from './v2/infer-request.js';
import { answerBody, encodeAnswer, type InferWire } from './v2/infer-response.js';
import { OipPayload, v2Answer } from './v2/oip-payload.js';
import { V2Metadata } from './v2/v2-metadata.js';
import { installV2Wire } from './v2/v2-wire.js';

export type V2Params = { name: string; version?: string };
type HeaderBag = FastifyRequest['headers'];

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

/** What `GET /v2` lists: only extensions this server implements end to end. */
export const V2_EXTENSIONS = ['binary_tensor_data', 'classification', 'model_configuration', 'model_repository', 'statistics'];

export const INFER_BODY_SCHEMA = {
  type: 'object',
  required: ['inputs'],
  description:
    'JSON, or (binary tensor data extension; no Content-Type or application/octet-stream) a JSON header of Inference-Header-Content-Length bytes followed by each binary input',
  properties: {
    id: { type: 'string' },
    parameters: {
      type: 'object',
      description: 'Scalars; also a sticky key field',
      properties: {
        binary_data_output: { type: 'boolean', description: 'every output not named in outputs as binary data' },
        classification: { type: 'integer', description: 'top K classes of every output not named in outputs' },
        explain_features: {
          type: ['boolean', 'string'],
          enum: [true, false, 'true', 'false'],
          description: 'For a version with online features and a request with entity-key inputs: add the output "features" (see the answer)',
        },
      },
    },
    inputs: {
      type: 'array',
      items: tensorSchema({ type: 'array' }, { type: 'integer' }),
    },
    outputs: {
      type: 'array',
      description: 'The outputs to answer (default: all); with explain_features it may name "features" to set its binary_data',
      items: { type: 'object', properties: { name: { type: 'string' }, parameters: { type: 'object', properties: { binary_data: { type: 'boolean' }, classification: { type: 'integer' } } } } },
    },
  },
};

/** A tensor in a V2 JSON body (request input or answer output): `data`, or its byte count after the JSON header when binary. */
function tensorSchema(data: Record<string, unknown>, binaryDataSize: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['name', 'shape', 'datatype'],
    properties: {
      name: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
      datatype: { type: 'string' },
      data,
      parameters: { type: 'object', properties: { binary_data_size: binaryDataSize } },
    },
  };
}

const tensorOut = tensorSchema({ type: 'array', description: 'absent for a binary output' }, { type: 'integer', description: 'a binary output: its bytes after the JSON header' });

/** The infer answer, for OpenAPI: the handler writes it itself (JSON, or the JSON header then binary outputs). */
export const INFER_RESPONSE_DOC = {
  type: 'object',
  description:
    'application/json; or, when an output is binary, application/octet-stream: this JSON header of Inference-Header-Content-Length bytes followed by each binary output in order',
  required: ['model_name', 'model_version', 'parameters', 'outputs'],
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string' },
    parameters: {
      type: 'object',
      properties: { variant: { type: 'string' }, fallback: { type: 'boolean' }, prediction_ids: { type: 'string', description: "the rows' prediction ids, comma-joined" } },
    },
    outputs: {
      type: 'array',
      description:
        'The requested outputs; with parameters.explain_features, when the version filled the rows from the online store, last the output "features": BYTES [N], element i the JSON of row i\'s {feature: {value, source, age_ms}} (source sent, store, default or missing), as /v1 answers predictions[i].features',
      items: tensorOut,
    },
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
    adapter: HttpAdapterHost,
    @InjectConfig() config: AppConfig,
    private readonly core: InferenceCore,
    private readonly meta: V2Metadata,
  ) {
    installV2Wire(adapter.httpAdapter.getInstance<FastifyInstance>(), config.limits.maxBodyBytes);
    const tags = ['open-inference-protocol'];
    const read = { method: 'GET' as const, scope: 'predict' as const, tags };
    const infer = { method: 'POST' as const, scope: 'predict' as const, tags, hot: true, bodySchema: INFER_BODY_SCHEMA, responseDoc: INFER_RESPONSE_DOC };
    const server = () => ({ name: 'modelgate', version: pkg.version, extensions: V2_EXTENSIONS });
    const defs: HttpRouteDef[] = [
      { method: 'GET', scope: null, tags, url: '/v2/health/live', summary: 'Server live', handler: () => ({ live: true }) },
      { method: 'GET', scope: null, tags, url: '/v2/health/ready', summary: 'Server ready', handler: () => this.meta.serverReady() },
      { ...read, url: '/v2', summary: 'Server metadata', handler: server },
      { ...read, url: '/v2/', summary: 'Server metadata', handler: server },
      { ...read, url: '/v2/models/:name', summary: 'Model metadata (every ready version)', handler: (q) => this.meta.metadata(params(q)) },
      { ...read, url: '/v2/models/:name/versions/:version', summary: 'Model version metadata', handler: (q) => this.meta.metadata(params(q)) },
      { ...read, url: '/v2/models/:name/ready', summary: 'Model ready (its routed versions loaded and warm)', handler: (q) => this.meta.modelReady(params(q)) },
      { ...read, url: '/v2/models/:name/versions/:version/ready', summary: 'Model version ready (loaded and warm)', handler: (q) => this.meta.modelReady(params(q)) },
      { ...infer, url: '/v2/models/:name/infer', summary: 'Inference, routed by the traffic policy', handler: (q, r) => this.handle(q, r) },
      { ...infer, url: '/v2/models/:name/versions/:version/infer', summary: 'Inference on a pinned version', handler: (q, r) => this.handle(q, r) },
    ];
    routes.add(...defs);
  }

  private async handle(request: FastifyRequest, reply: FastifyReply) {
    const wire = await this.infer(request.params as V2Params, request.headers, request.body);
    reply.header('content-type', wire.contentType);
    if (wire.headerLength !== undefined) reply.header('inference-header-content-length', String(wire.headerLength));
    return reply.send(wire.body);
  }

  /**
   * The one handler of both infer routes, for Fastify's and the fast lane's
   * (fast-lane.ts) requests alike: the body is the parsed JSON, or the raw
   * bytes of a binary tensor data request (no Content-Type or octet-stream).
   */
  async infer(params: V2Params, headers: HeaderBag, body: unknown): Promise<InferWire> {
    const { name, version } = params;
    const req = parseInferRequest(body, headers['inference-header-content-length']);
    // A `field:` sticky key may sit at the top level or in the protocol's `parameters`.
    const target = this.core.target(name, version !== undefined ? 'version' : 'routed', { version }, headers, req.fields, req.parameters);
    const payload = new OipPayload(req);
    const out = v2Answer(await this.core.infer(name, target, payload, 'v2'), payload);
    const encoded = encodeAnswer(
      {
        model_name: out.model,
        model_version: String(out.version),
        ...(req.id !== undefined ? { id: req.id } : {}),
        parameters: { variant: out.variant, fallback: out.fallback, prediction_ids: out.predictionIds.join(',') },
      },
      out.outputs,
    );
    return answerBody(encoded);
  }
}

function params(request: FastifyRequest): { name: string; version?: number } {
  const { name, version } = request.params as { name: string; version?: string };
  return { name, version: version !== undefined ? parseVersionParam(version) : undefined };
}
