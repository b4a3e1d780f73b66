import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type Scope = 'admin' | 'registry:read' | 'registry:write' | 'predict' | 'feedback' | 'monitor:read';

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
  /** Hot routes log at debug level. */
  hot?: boolean;
  handler: (request: FastifyRequest<any>, reply: FastifyReply) => unknown;
}

export class HttpRouteTable {
  private readonly defs: HttpRouteDef[] = [];
  private installed = false;
  private readonly seen: { method: string; url: string }[] = [];

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

  install(fastify: FastifyInstance): void {
    this.installed = true;
    for (const d of this.defs) {
      fastify.route({
        method: d.method,
        url: d.url,
        config: { hot: d.hot, scope: d.scope },
        handler: d.handler,
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
          200: { description: 'OK', ...(d.responseSchema ? { content: { 'application/json': { schema: d.responseSchema } } } : {}) },
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
