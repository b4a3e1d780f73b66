import type { FastifyInstance } from 'fastify';

// Swagger UI runs its own inline bootstrap script and styles; everything else
// comes from this origin. The rest of the service answers JSON only.
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";
/** The policy of every JSON answer (all but the docs and the console). */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
// The console's scripts, styles and API calls all come from this origin; nothing inline.
const CONSOLE_CSP = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/**
 * The usual security headers on every answer. Two header writes per request
 * on the hot path; the docs and console checks are two string comparisons.
 */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    const url = request.url;
    reply.header('content-security-policy', url.startsWith('/docs') ? DOCS_CSP : url.startsWith('/ui') ? CONSOLE_CSP : API_CSP);
    done();
  });
}
