import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UnsupportedMediaType } from '../../common/errors.js';

const isV2 = (url: string) => url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');

/**
 * The Open Inference Protocol's wire rules on the shared HTTP server.
 * Triton's Python client (geventhttpclient) sends bodies with no
 * Content-Type; its asyncio client and KServe's label them
 * `application/octet-stream`; either is the JSON header, possibly followed
 * by binary tensor data. Elsewhere such a body stays a 415. And KServe's
 * client reads an error's message only when the type is exactly
 * `application/json`, which Fastify would suffix with a charset.
 */
export function installV2Wire(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request: FastifyRequest, body: Buffer, done) => {
    const type = request.headers['content-type'];
    const raw = type === undefined || type === '' || /^application\/octet-stream\s*(;|$)/i.test(type);
    if (raw && isV2(request.url)) done(null, body);
    else done(new UnsupportedMediaType(`unsupported content type ${JSON.stringify(type ?? '')}; send application/json`), undefined);
  });
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    if (isV2(request.url)) {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', 'application/json');
    }
    done(null, payload);
  });
}
