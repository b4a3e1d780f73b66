import type { IncomingMessage } from 'node:http';
import type { RouteKind } from './edge-target.js';
import type { V1Params } from './v1-routes.js';
import type { V2Params } from './v2-routes.js';

/**
 * Which requests the fast lane (fast-lane.ts) answers: the plain common case
 * of the `/v1` predict and V2 infer routes. Anything else (another method or
 * path, percent-encoding, an odd query, a body without a Content-Length or
 * over the limit, chunked, `Expect`, an encoding, another content type) is
 * Fastify's, so its edge-case answers stay its own.
 */

/** A `/v1` predict request: its route kind, parameters and `?explain_features`. */
export interface V1Case {
  protocol: 'v1';
  kind: RouteKind;
  /** The route's pattern (its metrics label). */
  route: string;
  params: V1Params;
  explain: boolean;
}

/** A V2 infer request: a JSON body, or (`raw`) the bytes of the binary tensor data extension. */
export interface V2Case {
  protocol: 'v2';
  route: string;
  params: V2Params;
  raw: boolean;
}

export type CommonCase = V1Case | V2Case;

// Fastify's router decodes percent-encoding and caps a parameter at 100
// characters; such paths, and anything else odd, are Fastify's to answer.
const SEG = '([A-Za-z0-9._~-]{1,100})';
const V1_ROUTES: { re: RegExp; kind: RouteKind; url: string; second?: 'version' | 'alias' }[] = [
  { re: new RegExp(`^/v1/models/${SEG}/predict$`), kind: 'routed', url: '/v1/models/:name/predict' },
  { re: new RegExp(`^/v1/models/${SEG}/versions/${SEG}/predict$`), kind: 'version', url: '/v1/models/:name/versions/:version/predict', second: 'version' },
  { re: new RegExp(`^/v1/models/${SEG}/aliases/${SEG}/predict$`), kind: 'alias', url: '/v1/models/:name/aliases/:alias/predict', second: 'alias' },
];
const V2_ROUTED = new RegExp(`^/v2/models/${SEG}/infer$`);
const V2_VERSION = new RegExp(`^/v2/models/${SEG}/versions/${SEG}/infer$`);
const EXPLAIN = /^explain_features=([A-Za-z0-9]*)$/;
// The infer routes read no query; one of plain characters changes nothing but the logged URL.
const V2_QUERY = /^[A-Za-z0-9._~=&-]*$/;
/** The two spellings clients send; any other is parsed by Fastify's content-type rules. */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
const CONTENT_LENGTH = /^[1-9][0-9]{0,15}$/;

/** The route a request names when it is plainly the common case, else `undefined` (Fastify's to answer). */
export function commonCase(method: string | undefined, url: string | undefined, h: IncomingMessage['headers'], maxBodyBytes: number): CommonCase | undefined {
  if (method !== 'POST' || url === undefined) return undefined;
  if (h['transfer-encoding'] !== undefined || h.expect !== undefined || h['content-encoding'] !== undefined) return undefined;
  const length = h['content-length'];
  if (length === undefined || !CONTENT_LENGTH.test(length) || Number(length) > maxBodyBytes) return undefined;
  const type = h['content-type'];
  const json = type !== undefined && JSON_TYPES.has(type);
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.startsWith('/v2/')) {
    // tritonclient's binary tensor data comes with no Content-Type (geventhttpclient) or as octet-stream (aiohttp).
    if (!json && type !== undefined && type !== 'application/octet-stream') return undefined;
    if (q >= 0 && !V2_QUERY.test(url.slice(q + 1))) return undefined;
    return v2Case(path, !json);
  }
  if (!json) return undefined;
  let explain = false;
  if (q >= 0) {
    const m = EXPLAIN.exec(url.slice(q + 1));
    if (!m) return undefined;
    explain = m[1] === 'true' || m[1] === '1';
  }
  for (const r of V1_ROUTES) {
    const m = r.re.exec(path);
    if (m === null) continue;
    const params: V1Params = { name: m[1] };
    if (r.second) params[r.second] = m[2];
    return { protocol: 'v1', kind: r.kind, route: r.url, params, explain };
  }
  return undefined;
}

function v2Case(path: string, raw: boolean): V2Case | undefined {
  let m = V2_ROUTED.exec(path);
  if (m !== null) return { protocol: 'v2', route: '/v2/models/:name/infer', params: { name: m[1] }, raw };
  m = V2_VERSION.exec(path);
  if (m !== null) return { protocol: 'v2', route: '/v2/models/:name/versions/:version/infer', params: { name: m[1], version: m[2] }, raw };
  return undefined;
}
