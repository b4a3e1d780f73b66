import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { Metrics } from '../metrics/metrics.js';
import { EdgeAdmission, type EdgeAdmissionLimits, type EdgeShedReason, EventLoopDelaySampler } from './edge-admission.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Holds an edge-admission slot until answered. */
    modelgateAdmitted: boolean;
  }
}

/** Seconds a shed caller is asked to wait: the crowd that caused it clears in well under that. */
export const RETRY_AFTER_S = '1';
/** Distinct model labels kept for edge shedding: it runs before the key or the model is checked. */
const MAX_MODEL_LABELS = 256;

/** What a shed caller is told, on every edge (REST bodies, gRPC status details). */
export const shedMessage = (reason: EdgeShedReason) =>
  reason === 'in_flight' ? 'the service is at its limit of prediction requests in flight; retry shortly' : 'the service is saturated (event-loop delay past its limit); retry shortly';
// Precomputed: a shed answer must cost a small part of an admitted one.
const bodies = new Map<string, string>();
for (const reason of ['in_flight', 'event_loop_delay'] as const) {
  bodies.set(`v1 ${reason}`, JSON.stringify({ error: { code: 'OVERLOADED', message: shedMessage(reason), details: { reason } } }));
  bodies.set(`v2 ${reason}`, JSON.stringify({ error: shedMessage(reason), code: 'OVERLOADED' }));
}

/** The precomputed body of a shed answer on a protocol's edge. */
export const shedBody = (protocol: 'v1' | 'v2', reason: EdgeShedReason): string => bodies.get(`${protocol} ${reason}`)!;

/**
 * Puts edge admission first on every hot route (the prediction and V2 infer
 * routes): before the key check, before the body is read. Health, metrics
 * and registry routes are never shed. Call before the routes are registered.
 */
export function installEdgeAdmission(fastify: FastifyInstance, limits: EdgeAdmissionLimits, countShed: CountShed): EdgeAdmission {
  if (limits.maxInFlight === 0 && limits.maxEventLoopDelayMs === 0) return new EdgeAdmission(limits);
  const sampler = limits.maxEventLoopDelayMs > 0 ? new EventLoopDelaySampler() : undefined;
  const admission = new EdgeAdmission(limits, sampler ? () => sampler.delayMs : undefined);
  fastify.addHook('onClose', (_instance, done) => {
    sampler?.stop();
    done();
  });
  fastify.decorateRequest('modelgateAdmitted', false);

  const giveBack = (request: FastifyRequest) => {
    if (request.modelgateAdmitted) {
      request.modelgateAdmitted = false;
      admission.release();
    }
  };
  const onResponse = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    giveBack(request);
    done();
  };
  // A caller that hangs up may never get an onResponse: its slot is given back here.
  const onAbort = (request: FastifyRequest, done: () => void) => {
    giveBack(request);
    done();
  };

  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (route.config?.hot !== true) return;
    const protocol = route.url.startsWith('/v2') ? 'v2' : 'v1';
    const admit: onRequestHookHandler = (request, reply, done) => {
      const refused = admission.admit();
      if (refused === null) {
        request.modelgateAdmitted = true;
        done();
        return;
      }
      countShed((request.params as { name?: string }).name ?? '', refused);
      void reply
        .code(503)
        .header('retry-after', RETRY_AFTER_S)
        .header('content-type', 'application/json; charset=utf-8')
        .send(bodies.get(`${protocol} ${refused}`));
    };
    route.onRequest = [admit, ...asArray(route.onRequest)];
    route.onResponse = [...asArray(route.onResponse), onResponse];
    route.onRequestAbort = [...asArray(route.onRequestAbort), onAbort];
  });
  return admission;
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export type CountShed = (model: string, reason: EdgeShedReason) => void;

/** Counts edge shedding per model and reason, with a bounded set of model labels. */
export function shedCounter(metrics: Metrics): CountShed {
  const shedCounters = new Map<string, { inc(): void }>();
  return (model, reason) => {
    const key = `${reason}\u0001${model}`;
    let c = shedCounters.get(key);
    if (!c) {
      const label = shedCounters.size < MAX_MODEL_LABELS * 2 ? model : '_other';
      c = metrics.requestsShed.labels(label, reason);
      if (label === model) shedCounters.set(key, c);
    }
    c.inc();
  };
}

/**
 * Installs edge admission on the Fastify instance as the serving module is
 * built, before any route is registered; the gRPC edge takes its slots from
 * the same admission, so REST and gRPC share one limit.
 */
@Injectable()
export class EdgeAdmissionHook {
  readonly admission: EdgeAdmission;
  readonly countShed: CountShed;
  /** Whether any limit is set (else no request is counted or shed). */
  readonly active: boolean;
  constructor(adapter: HttpAdapterHost, @InjectConfig() config: AppConfig, metrics: Metrics) {
    this.countShed = shedCounter(metrics);
    this.active = config.serving.admission.maxInFlight > 0 || config.serving.admission.maxEventLoopDelayMs > 0;
    this.admission = installEdgeAdmission(adapter.httpAdapter.getInstance<FastifyInstance>(), config.serving.admission, this.countShed);
  }
}
