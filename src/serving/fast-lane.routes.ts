import { Injectable } from '@nestjs/common';
import fastJson from 'fast-json-stringify';
import type { Logger } from 'pino';
import { InjectLogger } from '../common/common.module.js';
import { HttpRouteTable } from '../common/http-route-table.js';
import { WORKER_PID } from '../common/ids.js';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { Metrics } from '../metrics/metrics.js';
import { EdgeAdmissionHook } from './edge-admission.hook.js';
import { FastLane } from './fast-lane.js';
import { PREDICT_RESPONSE_SCHEMA, V1Routes } from './v1-routes.js';
import { V2Routes } from './v2-routes.js';

/**
 * Adds the `/v1` predict and V2 infer routes' fast lane to the route table (unless
 * MODELGATE_HTTP_FAST_PATH is off); the table builds it with the admission
 * Fastify's routes use, and the app's HTTP server hands it every request first.
 */
@Injectable()
export class FastLaneRoutes {
  constructor(routes: HttpRouteTable, @InjectConfig() config: AppConfig, edge: EdgeAdmissionHook, v1: V1Routes, v2: V2Routes, metrics: Metrics, @InjectLogger() logger: Logger) {
    if (!config.serving.httpFastPath) return;
    // The serializer Fastify compiles for the route: its default compiler is fast-json-stringify with no options.
    const serialize = fastJson(PREDICT_RESPONSE_SCHEMA as Parameters<typeof fastJson>[0]) as (answer: unknown) => string;
    routes.addLane(
      (admit) =>
        new FastLane({
          maxBodyBytes: config.limits.maxBodyBytes,
          edge: edge.active ? edge : undefined,
          admit,
          predict: (kind, params, explain, headers, body) => v1.predict(kind, params, explain, headers, body),
          serialize,
          infer: (params, headers, body) => v2.infer(params, headers, body),
          metrics,
          logger,
          worker: WORKER_PID,
        }),
    );
  }
}
