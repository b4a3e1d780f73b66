import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderError } from './error-envelope.js';

export type Scope = 'admin' | 'registry:read' | 'registry:write' | 'predict' | 'feedback' | 'monitor:read' | 'monitor:write' | 'approve' | 'features:write';

/** The authenticated caller; mirrors auth's Actor without importing auth. */
export interface Actor {
  keyId: string;
  name: string;
  scopes: readonly Scope[];
}

/**
 * A route registered on Fastify directly rather than through a Nest
 * controller: the prediction path, where a controller's guards, pipes and
 * interceptors cost more than the whole request budget. One table registers
 * them, documents them in OpenAPI and feeds the route-walking auth test.
 */
export interface HttpRouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Fastify path syntax (`/v1/models/:name/predict`). */
  url: string;
  /** `null` for routes open without a key (health). */
  scope: Scope | null;
  summary: string;
  tags: string[];
  bodySchema?: Record<string, unknown>;
  responseSchema?: Record<string, unknown>;
  /** The answer's shape in OpenAPI only, for a handler that writes its own wire form (V2's JSON or binary tensor data). */
  responseDoc?: Record<string, unknown>;
  /** Hot routes log at debug level. */
  hot?: boolean;
  /** A write kept in the audit trail (routes through Nest controllers are audited by its interceptor). */
  audited?: boolean;
  handler: (request: FastifyRequest<any>, reply: FastifyReply) => unknown;
}

/**
 * Auth's admission of a call (the one every edge uses): the headers, the
 * scope, the socket's peer address and the model the call names.
 * Synchronous when the key is cached, a Promise on a miss; throws 401/403
 * (429 past a budget).
 */
export type Admit = (headers: FastifyRequest['headers'], scope: Scope, peer: string | undefined, model?: string) => Actor | Promise<Actor>;

/** Writes the audit row of an audited route's request before its answer is sent. */
export type AuditWrite = (request: FastifyRequest, status: number, code: string | null) => Promise<void>;

/** A handler that writes its audit row before answering, as the Nest interceptor does for controllers. */
function audited(handler: HttpRouteDef['handler'], audit: AuditWrite): HttpRouteDef['handler'] {
  return async (request, reply) => {
    try {
      const value = await handler(request, reply);
      await audit(request, reply.statusCode, null);
      return value;
    } catch (err) {
      const r = renderError(err);
      await audit(request, r.status, r.code);
      throw err;
    }
  };
}

function authHook(admit: Admit, scope: Scope) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    let actor: Actor | Promise<Actor>;
    try {
      // Every route naming a model calls its parameter `name`: a key limited to models is checked against it.
      actor = admit(request.headers, scope, request.socket.remoteAddress, (request.params as { name?: string }).name);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (actor instanceof Promise) {
      actor.then(
        (a) => {
          request.actor = a;
          done();
        },
        (err: Error) => done(err),
      );
      return;
    }
    request.actor = actor;
    done();
  };
}

const sameLogger = <L>(logger: L): L => logger;

/**
 * A request listener below Fastify for the common case of some hot routes
 * (serving/fast-lane.ts): it answers a request and returns true, or returns
 * false having touched nothing, and Fastify answers.
 */
export interface RawLane {
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests it answered. */
  readonly served: number;
}

export class HttpRouteTable {
  private readonly defs: HttpRouteDef[] = [];
  private installed = false;
  private readonly seen: { method: string; url: string }[] = [];
  private laneOf?: (admit: Admit) => RawLane;
  private built?: RawLane;

  /** Records a route Fastify registered (Nest controllers, this table, docs). */
  observe(method: string | string[], url: string): void {
    for (const m of Array.isArray(method) ? method : [method]) this.seen.push({ method: m, url });
  }

  /** Every route the HTTP server answers, for the route-walking auth test. */
  get observedRoutes(): readonly { method: string; url: string }[] {
    return this.seen;
  }

  add(...defs: HttpRouteDef[]): void {
    if (this.installed) throw new Error('routes must be added before the HTTP server is built');
    this.defs.push(...defs);
  }

  get routes(): readonly HttpRouteDef[] {
    return this.defs;
  }

  /** A lane below Fastify for routes of this table, built at `install` with the same admission. */
  addLane(build: (admit: Admit) => RawLane): void {
    if (this.installed) throw new Error('a lane must be added before the HTTP server is built');
    this.laneOf = build;
  }

  /** The lane built at `install`, if one was added. */
  get lane(): RawLane | undefined {
    return this.built;
  }

  /**
   * Registers every route. A route with a scope is admitted in its
   * `onRequest` hook, before the body is read: a request without a valid
   * key never costs a JSON parse, and a route cannot be added unguarded.
   */
  install(fastify: FastifyInstance, admit: Admit, audit?: AuditWrite): void {
    this.installed = true;
    this.built = this.laneOf?.(admit);
    for (const d of this.defs) {
      const scope = d.scope;
      fastify.route({
        method: d.method,
        url: d.url,
        config: { hot: d.hot, scope },
        ...(scope ? { onRequest: authHook(admit, scope) } : {}),
        // A pino child per request costs about a microsecond; hot routes log
        // only on errors, and those lines carry the request id themselves.
        ...(d.hot ? { childLoggerFactory: sameLogger } : {}),
        handler: d.audited && audit ? audited(d.handler, audit) : d.handler,
        ...(d.responseSchema ? { schema: { response: { 200: d.responseSchema } } } : {}),
      });
    }
  }

  /** Adds every route to an OpenAPI document built from the Nest controllers. */
  documentIn(doc: OpenAPIObject): void {
    for (const d of this.defs) {
      const path = d.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const params = [...d.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path' as const,
        required: true,
        schema: { type: 'string' },
      }));
      doc.paths[path] ??= {};
      (doc.paths[path] as Record<string, unknown>)[d.method.toLowerCase()] = {
        summary: d.summary,
        tags: d.tags,
        parameters: params,
        ...(d.scope ? { security: [{ bearer: [] }, { 'api-key': [] }], 'x-required-scope': d.scope } : {}),
        ...(d.bodySchema ? { requestBody: { required: true, content: { 'application/json': { schema: d.bodySchema } } } } : {}),
        responses: {
          200: { description: 'OK', ...(d.responseSchema || d.responseDoc ? { content: { 'application/json': { schema: d.responseSchema ?? d.responseDoc } } } : {}) },
          default: { description: 'Error envelope' },
        },
      };
    }
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope | null;
  }
}
