import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationFailed } from '../common/errors.js';
import { type HttpRouteDef, HttpRouteTable } from '../common/http-route-table.js';
import type { RouteKind } from './edge-target.js';
import { InferenceCore } from './inference-core.js';
import type { RowsInput } from './prediction-rows.js';

export type V1Params = { name: string; version?: string; alias?: string };
type HeaderBag = FastifyRequest['headers'];

const predictionRow = {
  type: 'object',
  properties: {
    prediction_id: { type: 'string' },
    label: { type: ['integer', 'string'] },
    score: { type: 'number' },
    probabilities: { type: 'object', additionalProperties: { type: 'number' } },
    value: { type: 'number' },
    outputs: { type: 'object', additionalProperties: true },
    features: {
      type: 'object',
      description: 'With explain_features=true, for a version with online features: each looked-up feature as served',
      additionalProperties: {
        type: 'object',
        properties: { value: { type: ['number', 'string', 'boolean', 'null'] }, source: { type: 'string' }, age_ms: { type: ['number', 'null'] } },
        required: ['value', 'source', 'age_ms'],
      },
    },
  },
  required: ['prediction_id'],
};

/** Compiled once by Fastify into a serializer: no JSON.stringify walk per answer. */
export const PREDICT_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    version: { type: 'integer' },
    variant: { type: 'string' },
    fallback: { type: 'boolean' },
    predictions: { type: 'array', items: predictionRow },
  },
  required: ['model', 'version', 'variant', 'fallback', 'predictions'],
};

export const PREDICT_BODY_SCHEMA = {
  type: 'object',
  description:
    'Exactly one of instances (named features; for a version with online features also its entity keys, and the looked-up features may be left out) and inputs (ordered rows). Other top-level fields may carry a sticky key.',
  properties: {
    instances: { type: 'array', items: { type: 'object', additionalProperties: { type: ['number', 'string', 'null'] } }, minItems: 1 },
    inputs: { type: 'array', items: { type: 'array', items: { type: ['number', 'null'] } }, minItems: 1 },
  },
};

/**
 * The `/v1` prediction routes, registered on Fastify directly: the route
 * table's hook checks the key (a cached lookup) before the body is read,
 * body checks are by hand, serialisation by a compiled schema. Everything
 * else happens in the inference core.
 */
@Injectable()
export class V1Routes {
  constructor(
    routes: HttpRouteTable,
    private readonly core: InferenceCore,
  ) {
    const base = { method: 'POST' as const, scope: 'predict' as const, tags: ['serving'], hot: true, bodySchema: PREDICT_BODY_SCHEMA, responseSchema: PREDICT_RESPONSE_SCHEMA };
    const defs: HttpRouteDef[] = [
      { ...base, url: '/v1/models/:name/predict', summary: 'Predict, routed by the traffic policy (the production alias when none)', handler: (q, r) => this.handle(q, r, 'routed') },
      { ...base, url: '/v1/models/:name/versions/:version/predict', summary: 'Predict with a pinned version', handler: (q, r) => this.handle(q, r, 'version') },
      { ...base, url: '/v1/models/:name/aliases/:alias/predict', summary: 'Predict with the version an alias points to', handler: (q, r) => this.handle(q, r, 'alias') },
    ];
    routes.add(...defs);
  }

  private handle(request: FastifyRequest, _reply: FastifyReply, kind: RouteKind) {
    return this.predict(kind, request.params as V1Params, explainFeatures(request.query), request.headers, request.body);
  }

  /** The one handler of the three routes, for Fastify's and the fast lane's (fast-lane.ts) requests alike. */
  async predict(kind: RouteKind, params: V1Params, explain: boolean, headers: HeaderBag, body: unknown) {
    const input = rowsOf(body);
    if (input.instances && explain) input.explainFeatures = true;
    const target = this.core.target(params.name, kind, params, headers, body);
    return (await this.core.infer(params.name, target, input, 'v1')).answer;
  }
}

/** `?explain_features=true` (or `1`). */
export function explainFeatures(query: unknown): boolean {
  const v = (query as Record<string, unknown> | undefined)?.explain_features;
  return v === 'true' || v === '1';
}

function rowsOf(body: unknown): RowsInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationFailed('the body must be a JSON object with "instances" (named features) or "inputs" (ordered rows)', { field: 'body' });
  }
  const { instances, inputs } = body as { instances?: unknown; inputs?: unknown };
  if ((instances === undefined) === (inputs === undefined)) {
    throw new ValidationFailed('give exactly one of "instances" and "inputs"', { field: instances === undefined ? 'instances' : 'inputs' });
  }
  const rows = instances ?? inputs;
  const field = instances !== undefined ? 'instances' : 'inputs';
  if (!Array.isArray(rows)) throw new ValidationFailed(`${field} must be an array`, { field });
  return instances !== undefined ? { instances: rows } : { inputs: rows };
}

