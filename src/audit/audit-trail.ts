import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { redactUrl } from '../common/url-redaction.js';
import { AuditStore } from './audit.store.js';

/**
 * Writes one audit row for a write request: who, when, what, from which
 * address, and how it ended. Used by the interceptor (Nest controllers) and
 * by the route table's audited routes (the V2 repository's load and unload).
 */
@Injectable()
export class AuditTrail {
  constructor(
    private readonly store: AuditStore,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  async record(request: FastifyRequest, status: number, code: string | null): Promise<void> {
    const body = request.body as { reason?: unknown } | undefined;
    const query = request.query as { reason?: unknown } | undefined;
    const reason = typeof body?.reason === 'string' ? body.reason : typeof query?.reason === 'string' ? query.reason : null;
    try {
      await this.store.append({
        actorKeyId: request.actor?.keyId ?? null,
        actorName: request.actor?.name ?? null,
        address: request.ip ?? null,
        method: request.method,
        route: request.routeOptions?.url ?? request.url,
        path: storable(redactUrl(request.url).slice(0, 2_000)),
        params: Object.fromEntries(Object.entries((request.params ?? {}) as Record<string, string>).map(([k, v]) => [storable(k), storable(String(v).slice(0, 200))])),
        status,
        code,
        // A refused reason may hold what the database cannot store; the row must still land.
        reason: reason === null ? null : storable(reason.slice(0, 2_000)),
        requestId: request.id ?? null,
      });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, method: request.method, route: request.routeOptions?.url }, 'audit row not written');
    }
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A refused write may carry what PostgreSQL cannot store (NUL, lone surrogates); its audit row must still land. */
function storable(s: string): string {
  return s.replace(/\u0000/g, '\\u0000').replace(LONE_SURROGATE, '\uFFFD');
}
