import type { FastifyInstance } from 'fastify';

// Swagger UI runs its own inline bootstrap script and styles; everything else
// comes from this origin. The rest of the service answers JSON only.
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The usual security headers on every answer. Two header writes per request
 * on the hot path; the docs check is one string comparison.
 */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', request.url.startsWith('/docs') ? DOCS_CSP : API_CSP);
    done();
  });
}
