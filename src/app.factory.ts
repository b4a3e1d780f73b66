import 'reflect-metadata';
import http from 'node:http';
import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyInstance, type FastifyReply, type FastifyServerOptions, type FastifyRequest, LogController, type onResponseHookHandler, type RouteOptions } from 'fastify';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/config.schema.js';
import { ErrorEnvelopeFilter } from './common/error-envelope.filter.js';
import { handleClientError, handleFrameworkError } from './common/http-layer-errors.js';
import { installCsvParser } from './common/csv-body-parser.js';
import { installJsonParser } from './common/json-body-parser.js';
import { installSecurityHeaders } from './common/security-headers.js';
import { DEFAULT_UI_DIR } from './console/console-files.js';
import { installConsole } from './console/console-routes.js';
import { redactUrl } from './common/url-redaction.js';
import { createLogger, type Logger, NestPinoLogger } from './common/logger.js';
import { uuidv7, WORKER_PID } from './common/ids.js';
import { setupOpenApi } from './common/openapi.js';
import { HttpRouteTable, type RawLane } from './common/http-route-table.js';
import { AuditTrail } from './audit/audit-trail.js';
import { Admission } from './auth/admission.js';
import { TrustedProxies } from './common/client-address.js';
import { installHttpMetrics } from './metrics/http-metrics.js';
import { Metrics } from './metrics/metrics.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Hot routes (predict, infer) log at debug, not info. */
    hot?: boolean;
  }
}

export interface CreateAppOptions {
  logger?: Logger;
  /** The built console (default dist/ui); tests point it elsewhere. */
  uiDir?: string;
}

/** Builds the whole service on Fastify; main.ts and the e2e tests both use it. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // Set once the app is built: until then (and with MODELGATE_HTTP_FAST_PATH=false) every request goes to Fastify.
  let lane: RawLane | undefined;
  const adapter = new FastifyAdapter({
    serverFactory: (handler: http.RequestListener, opts: FastifyServerOptions) => {
      const server = http.createServer((req, res) => {
        if (lane === undefined || !lane.serve(req, res)) handler(req, res);
      });
      // What Fastify sets on a server it creates itself (fastify/lib/server.js).
      server.keepAliveTimeout = opts.keepAliveTimeout!;
      server.requestTimeout = opts.requestTimeout!;
      server.setTimeout(opts.connectionTimeout!);
      if ((opts.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket!;
      return server;
    },
    loggerInstance: logger,
    // Our own onResponse hook logs one line per request; hot routes at debug.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: config.limits.maxBodyBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: 'x-request-id',
    genReqId: () => uuidv7(),
    // request.ip (the audit trail's address) walks X-Forwarded-For only from
    // trusted proxies, as the admission does (common/client-address.ts).
    trustProxy: trustOnly(new TrustedProxies(config.auth.trustedProxies)),
    // Parser and router failures answer in the envelope too.
    clientErrorHandler: handleClientError,
    frameworkErrors: handleFrameworkError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
    // Throw start-up errors to the caller (main.ts exits; tests report) instead of exiting here.
    abortOnError: false,
    // Our own JSON parser (installJsonParser) replaces the one Nest would add.
    bodyParser: false,
  });
  app.useGlobalFilters(new ErrorEnvelopeFilter());
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const routes = app.get(HttpRouteTable);
  // Every route, however registered, lands in the inventory the auth test walks.
  fastify.addHook('onRoute', (r) => routes.observe(r.method, r.url));
  installRequestLogging(fastify);
  installSecurityHeaders(fastify);
  installJsonParser(fastify, config.limits.maxBodyBytes);
  installCsvParser(fastify, config.limits.maxBodyBytes);
  installHttpMetrics(fastify, app.get(Metrics));
  await fastify.register(multipart as any, {
    limits: { fileSize: config.limits.maxUploadBytes, files: 2, fields: 10, fieldSize: 1024 * 1024, parts: 12 },
  });
  const admission = app.get(Admission);
  const trail = app.get(AuditTrail);
  routes.install(
    fastify,
    (headers, scope, peer, model) => admission.admit(headers, scope, peer, model),
    (request, status, code) => trail.record(request, status, code),
  );
  // Closing, Fastify answers new requests 503 with `Connection: close`: from then on they all go to it.
  fastify.addHook('preClose', (done) => {
    lane = undefined;
    done();
  });
  installConsole(fastify, options.uiDir ?? DEFAULT_UI_DIR);
  setupOpenApi(app);
  await app.init();
  await fastify.ready();
  // The serving module's lane (serving/fast-lane.ts), when MODELGATE_HTTP_FAST_PATH is on; only now that every route is in.
  lane = routes.lane;
  return app;
}

/** The app's fast lane, when on: tests read how many requests it answered. */
export function fastLaneOf(app: NestFastifyApplication): RawLane | undefined {
  return app.get(HttpRouteTable).lane;
}

/** Fastify's `trustProxy` from the trusted set: `false` (the socket's address) when it is empty. */
function trustOnly(trusted: TrustedProxies): false | ((address: string) => boolean) {
  return trusted.size === 0 ? false : (address) => trusted.has(address);
}

function installRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (WORKER_PID !== undefined) reply.header('x-modelgate-worker', WORKER_PID);
    done();
  });
  // One onResponse hook per route that knows whether the route is hot:
  // `request.routeOptions` builds an object on every access, which cost the
  // hot path more than the rest of this hook. Requests no route matched
  // have no route hook and are logged by the instance-wide one.
  const hotHook = completed(true);
  const coldHook = completed(false);
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const existing = route.onResponse;
    const hook = route.config?.hot === true ? hotHook : coldHook;
    route.onResponse = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.is404) logCompleted(request, reply, false);
    done();
  });
}

function completed(hot: boolean): onResponseHookHandler {
  return (request, reply, done) => {
    logCompleted(request, reply, hot);
    done();
  };
}

/** Hot routes (predict, infer) log a line only at debug level: at thousands of requests a second even building the entry costs. */
function logCompleted(request: FastifyRequest, reply: FastifyReply, hot: boolean): void {
  if (hot && !(request.log as unknown as Logger).isLevelEnabled('debug')) return;
  const entry = { method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
  if (hot) request.log.debug(entry, 'request completed');
  else request.log.info(entry, 'request completed');
}
