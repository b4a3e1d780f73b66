import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { envelope, renderError } from '../common/error-envelope.js';
import type { Admit } from '../common/http-route-table.js';
import { uuidv7 } from '../common/ids.js';
import { parseJsonBody } from '../common/json-body-parser.js';
import { API_CSP } from '../common/security-headers.js';
import { redactUrl } from '../common/url-redaction.js';
import type { HttpHandles, Metrics } from '../metrics/metrics.js';
import type { EdgeAdmission } from './edge-admission.js';
import { type CountShed, RETRY_AFTER_S, shedBody } from './edge-admission.hook.js';
import type { RouteKind } from './edge-target.js';
import type { V1Params } from './v1-routes.js';

/**
 * The common case of the three `/v1` predict routes answered by the HTTP
 * server's own request listener, without Fastify's request and reply
 * objects, its hook chains and its content-type parser lookup (~18 us of a
 * ~77 us request, issue 25). It runs the same pieces in the same order as
 * the Fastify route: edge admission, the key's admission, the body under the
 * same limit and parser, `V1Routes.predict`, the route's compiled
 * serializer, `renderError`'s envelope, and the same headers, metrics and
 * debug line. Anything not plainly that case (another method or path, a
 * query other than `explain_features`, percent-encoding, a body without a
 * Content-Length or over the limit, chunked, `Expect`, an encoding, another
 * content type) is left to Fastify, so its edge-case answers stay its own.
 */

export interface FastLaneParts {
  maxBodyBytes: number;
  /** Edge admission when a limit is set (else no request is counted or shed). */
  edge?: { admission: EdgeAdmission; countShed: CountShed };
  admit: Admit;
  predict: (kind: RouteKind, params: V1Params, explain: boolean, headers: IncomingMessage['headers'], body: unknown) => Promise<unknown>;
  /** The route's compiled 200 serializer (PREDICT_RESPONSE_SCHEMA). */
  serialize: (answer: unknown) => string;
  metrics: Metrics;
  /** The root logger: hot routes log through it, naming the request themselves. */
  logger: Logger;
  /** `x-modelgate-worker` when clustered. */
  worker?: string;
}

// Fastify's router decodes percent-encoding and caps a parameter at 100
// characters; such paths, and anything else odd, are Fastify's to answer.
const SEG = '([A-Za-z0-9._~-]{1,100})';
const ROUTES: { re: RegExp; kind: RouteKind; url: string; second?: 'version' | 'alias' }[] = [
  { re: new RegExp(`^/v1/models/${SEG}/predict$`), kind: 'routed', url: '/v1/models/:name/predict' },
  { re: new RegExp(`^/v1/models/${SEG}/versions/${SEG}/predict$`), kind: 'version', url: '/v1/models/:name/versions/:version/predict', second: 'version' },
  { re: new RegExp(`^/v1/models/${SEG}/aliases/${SEG}/predict$`), kind: 'alias', url: '/v1/models/:name/aliases/:alias/predict', second: 'alias' },
];
const EXPLAIN = /^explain_features=([A-Za-z0-9]*)$/;
/** The two spellings clients send; any other is parsed by Fastify's content-type rules. */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
const CONTENT_LENGTH = /^[1-9][0-9]{0,15}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface CommonCase {
  kind: RouteKind;
  /** The route's pattern (its metrics label). */
  route: string;
  params: V1Params;
  explain: boolean;
}

/** The route a request names when it is plainly the common case, else `undefined` (Fastify's to answer). */
export function commonCase(method: string | undefined, url: string | undefined, h: IncomingMessage['headers'], maxBodyBytes: number): CommonCase | undefined {
  if (method !== 'POST' || url === undefined) return undefined;
  if (h['transfer-encoding'] !== undefined || h.expect !== undefined || h['content-encoding'] !== undefined) return undefined;
  const type = h['content-type'];
  if (type === undefined || !JSON_TYPES.has(type)) return undefined;
  const length = h['content-length'];
  if (length === undefined || !CONTENT_LENGTH.test(length) || Number(length) > maxBodyBytes) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  let explain = false;
  if (q >= 0) {
    const m = EXPLAIN.exec(url.slice(q + 1));
    if (!m) return undefined;
    explain = m[1] === 'true' || m[1] === '1';
  }
  for (const r of ROUTES) {
    const m = r.re.exec(path);
    if (m === null) continue;
    const params: V1Params = { name: m[1] };
    if (r.second) params[r.second] = m[2];
    return { kind: r.kind, route: r.url, params, explain };
  }
  return undefined;
}

export class FastLane {
  /** Requests this lane answered (for the conformance test and debugging). */
  served = 0;
  private readonly handles = new Map<string, HttpHandles>();

  constructor(private readonly parts: FastLaneParts) {}

  /** Answers the request and returns true, or returns false having touched nothing. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const c = commonCase(req.method, req.url, req.headers, this.parts.maxBodyBytes);
    if (c === undefined) return false;
    this.served++;
    this.run(req, res, c.kind, c.route, c.params, c.explain);
    return true;
  }

  private run(req: IncomingMessage, res: ServerResponse, kind: RouteKind, route: string, params: V1Params, explain: boolean): void {
    const start = performance.now();
    const id = (req.headers['x-request-id'] as string | undefined) || uuidv7();
    const p = this.parts;
    const headers: Record<string, string> = { 'x-request-id': id };
    if (p.worker !== undefined) headers['x-modelgate-worker'] = p.worker;
    headers['x-content-type-options'] = 'nosniff';
    headers['content-security-policy'] = API_CSP;
    let admitted = false;
    res.once('close', () => {
      if (admitted) p.edge!.admission.release();
      admitted = false;
      if (res.writableFinished) this.completed(req, res, route, start);
    });
    if (p.edge) {
      const refused = p.edge.admission.admit();
      if (refused !== null) {
        p.edge.countShed(params.name, refused);
        headers['retry-after'] = RETRY_AFTER_S;
        this.send(req, res, 503, headers, shedBody('v1', refused));
        return;
      }
      admitted = true;
    }
    const fail = (err: unknown) => this.fail(req, res, headers, id, err);
    let actor;
    try {
      actor = p.admit(req.headers, 'predict', req.socket.remoteAddress, params.name);
    } catch (err) {
      fail(err);
      return;
    }
    const answer = (text: string) => {
      let body: unknown;
      try {
        body = parseJsonBody(text);
      } catch (err) {
        // As Fastify after any parser error: the client may send more, so the connection closes.
        headers.connection = 'close';
        fail(err);
        return;
      }
      p.predict(kind, params, explain, req.headers, body).then((a) => this.send(req, res, 200, headers, this.serialised(a)), fail);
    };
    if (actor instanceof Promise) actor.then(() => readBody(req, answer), fail);
    else readBody(req, answer);
  }

  /** The compiled serializer's call in a frame of its own, so a profile counts it as serialisation, as Fastify's `reply.serialize`. */
  private serialised(answer: unknown): string {
    return this.parts.serialize(answer);
  }

  /** As the error filter's `sendError`: the envelope, its status and headers, and the same log lines. */
  private fail(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>, id: string, err: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const r = renderError(err);
    if (r.status >= 500 && r.status !== 503 && r.status !== 504) {
      const e = err as { message?: string; code?: string; stack?: string };
      this.parts.logger.error({ request_id: id, err: { message: e?.message, code: e?.code, stack: e?.stack } }, 'request failed');
    } else this.parts.logger.debug({ request_id: id, code: r.code, msg: r.message }, 'request refused');
    for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
    this.send(req, res, r.status, headers, JSON.stringify(envelope(r)));
  }

  private send(_req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
    if (res.headersSent || res.destroyed) return;
    headers['content-type'] = JSON_TYPE;
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(body);
  }

  /** The route's onResponse hooks: `modelgate_http_*` and the debug line of a hot route. */
  private completed(req: IncomingMessage, res: ServerResponse, route: string, start: number): void {
    let h = this.handles.get(route);
    if (h === undefined) this.handles.set(route, (h = this.parts.metrics.httpHandles('POST', route)));
    const ms = performance.now() - start;
    h.status(res.statusCode).inc();
    h.duration.observe(ms / 1000);
    const log = this.parts.logger;
    if (log.isLevelEnabled('debug')) log.debug({ method: 'POST', url: redactUrl(req.url ?? ''), status: res.statusCode, ms: Math.round(ms * 100) / 100 }, 'request completed');
  }
}

/** Reads a body whose Content-Length is known and within the limit, decoded once as UTF-8 as Fastify's string parser does. */
function readBody(req: IncomingMessage, then: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A caller gone mid-body: nothing to answer; the slot is given back on the response's close.
  req.on('error', () => undefined);
  req.once('end', () => {
    // Node's parser delivers exactly Content-Length bytes or ends the request early (aborted).
    if (req.complete) then(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
  });
}
