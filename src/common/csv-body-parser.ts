import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * `text/csv` bodies (feature rows from a data pipeline) reach the handler as
 * a string within the same body limit as JSON; the handler parses them,
 * because only it knows the columns to expect.
 */
export function installCsvParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit }, (_req: FastifyRequest, body, done) => done(null, body));
}
