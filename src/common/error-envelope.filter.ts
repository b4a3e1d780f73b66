import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { envelope, renderError, v2Envelope } from './error-envelope.js';

/** Sends any error as the one envelope; `/v2` routes get the protocol's shape. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const r = renderError(err);
  if (r.status >= 500) request.log.error({ err }, 'request failed');
  else request.log.debug({ code: r.code, msg: r.message }, 'request refused');
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
