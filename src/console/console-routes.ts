import type { FastifyInstance } from 'fastify';
import { NotFound } from '../common/errors.js';
import { sendError } from '../common/error-envelope.filter.js';
import { ConsoleFiles } from './console-files.js';

/**
 * The web console at /ui: open routes (the page itself asks for a key and
 * sends it with every API call), their own CSP (see security-headers.ts).
 * Registered on Fastify directly: static files need no guard or pipe.
 */
export function installConsole(fastify: FastifyInstance, dir: string): void {
  const files = ConsoleFiles.load(dir);
  fastify.get('/ui', (_request, reply) => reply.redirect('/ui/', 302));
  fastify.get('/ui/*', (request, reply) => {
    if (!files) {
      sendError(new NotFound('CONSOLE_NOT_BUILT', 'the console was not built: run `npm run build` (it writes dist/ui)'), request, reply);
      return;
    }
    const rel = (request.params as { '*': string })['*'] || 'index.html';
    const file = files.resolve(rel);
    if (!file) {
      sendError(new NotFound('NOT_FOUND', `no console file ${rel}`), request, reply);
      return;
    }
    void reply.header('content-type', file.type).header('cache-control', file.cacheControl).send(file.body);
  });
}
