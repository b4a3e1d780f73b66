import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { envelope, renderError, v2Envelope } from './error-envelope.js';

/** Hot routes log through the root logger (no per-request child), so their lines name the request themselves. */
function requestId(request: FastifyRequest): { request_id?: string } {
  return request.routeOptions?.config?.hot ? { request_id: request.id } : {};
}

/** Sends any error as the one envelope; `/v2` routes get the protocol's shape. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const r = renderError(err);
  // 503s and 504s are expected answers (not ready, store down, overload, a deadline); 500s are bugs.
  // Only message, code and stack: a failed query's error carries its parameters
  // (a whole baseline sketch, say), which do not belong in the log.
  if (r.status >= 500 && r.status !== 503 && r.status !== 504) {
    const e = err as { message?: string; code?: string; stack?: string };
    request.log.error({ ...requestId(request), err: { message: e?.message, code: e?.code, stack: e?.stack } }, 'request failed');
  }
  else request.log.debug({ ...requestId(request), code: r.code, msg: r.message }, 'request refused');
  reply.code(r.status).headers(r.headers);
  void reply.send(request.url.startsWith('/v2') ? v2Envelope(r) : envelope(r));
}

@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
