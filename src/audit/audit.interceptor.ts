import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { renderError } from '../common/error-envelope.js';
import { AuditTrail } from './audit-trail.js';

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
  constructor(private readonly trail: AuditTrail) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!WRITES.has(request.method)) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(
      (async () => {
        try {
          const value = await lastValueFrom(next.handle(), { defaultValue: undefined });
          const declared = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined;
          // A handler that set its own status (a 202 for a move held for approval) is recorded with it; otherwise Nest applies the declared one after this runs.
          await this.trail.record(request, reply.statusCode !== 200 ? reply.statusCode : (declared ?? defaultStatus(request.method)), null);
          return value;
        } catch (err) {
          const r = renderError(err);
          await this.trail.record(request, r.status, r.code);
          throw err;
        }
      })(),
    );
  }
}

/** Nest's default status for a handler that returned normally. */
function defaultStatus(method: string): number {
  return method === 'POST' ? 201 : 200;
}
