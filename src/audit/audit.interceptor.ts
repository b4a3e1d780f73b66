import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { InjectLogger } from '../common/common.module.js';
import { renderError } from '../common/error-envelope.js';
import type { Logger } from '../common/logger.js';
import { redactUrl } from '../common/url-redaction.js';
import { AuditStore } from './audit.store.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every write through a Nest controller (uploads, patches, deletes,
 * aliases, traffic, rollbacks, keys, and whatever later modules add) leaves
 * an audit row: who, when, what, from which address, and how it ended,
 * refusals included. The row is written before the answer is sent, so an
 * acknowledged write is in the trail; a failed audit insert is logged and
 * does not undo a write that already committed.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly store: AuditStore,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!WRITES.has(request.method)) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(
      (async () => {
        try {
          const value = await lastValueFrom(next.handle(), { defaultValue: undefined });
          const declared = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined;
          await this.record(request, reply.statusCode >= 400 ? reply.statusCode : (declared ?? defaultStatus(request.method)), null);
          return value;
        } catch (err) {
          const r = renderError(err);
          await this.record(request, r.status, r.code);
          throw err;
        }
      })(),
    );
  }

  private async record(request: FastifyRequest, status: number, code: string | null): Promise<void> {
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

/** Nest's default status for a handler that returned normally. */
function defaultStatus(method: string): number {
  return method === 'POST' ? 201 : 200;
}
