import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { envelope, renderError, v2Envelope } from '../common/error-envelope.js';
import type { Admit } from '../common/http-route-table.js';
import { uuidv7 } from '../common/ids.js';
import { parseJsonBody } from '../common/json-body-parser.js';
import { API_CSP } from '../common/security-headers.js';
import { redactUrl } from '../common/url-redaction.js';
import type { HttpHandles, Metrics } from '../metrics/metrics.js';
import type { EdgeAdmission } from './edge-admission.js';
import { type CountShed, RETRY_AFTER_S, shedBody } from './edge-admission.hook.js';
import type { RouteKind } from './edge-target.js';
import { type CommonCase, commonCase } from './fast-lane-case.js';
import type { V1Params } from './v1-routes.js';
import type { V2Params } from './v2-routes.js';
import type { InferWire } from './v2/infer-response.js';

/**
 * The common case of the three `/v1` predict routes and the two V2 infer
 * routes (fast-lane-case.ts says which requests) answered by the HTTP
 * server's own request listener, without Fastify's request and reply
 * objects, its hook chains and its content-type parser lookup (~18 us of a
 * ~77 us request, issue 25). It runs the same pieces in the same order as
 * the Fastify route: edge admission, the key's admission, the body under the
 * same limit and parser, the route's one handler (`V1Routes.predict`,
 * `V2Routes.infer`), the same serialisation, `renderError`'s envelope (the
 * protocol's shape on `/v2`), and the same headers, metrics and debug line.
 */

export interface FastLaneParts {
  maxBodyBytes: number;
  /** Edge admission when a limit is set (else no request is counted or shed). */
  edge?: { admission: EdgeAdmission; countShed: CountShed };
  admit: Admit;
  predict: (kind: RouteKind, params: V1Params, explain: boolean, headers: IncomingMessage['headers'], body: unknown) => Promise<unknown>;
  /** The route's compiled 200 serializer (PREDICT_RESPONSE_SCHEMA). */
  serialize: (answer: unknown) => string;
  /** `V2Routes.infer`: the parsed JSON or the raw bytes in, the wire answer out. */
  infer: (params: V2Params, headers: IncomingMessage['headers'], body: unknown) => Promise<InferWire>;
  metrics: Metrics;
  /** The root logger: hot routes log through it, naming the request themselves. */
  logger: Logger;
  /** `x-modelgate-worker` when clustered. */
  worker?: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
// The V2 routes answer JSON as exactly application/json (v2/v2-wire.ts: KServe's client reads nothing else).
const V2_JSON_TYPE = 'application/json';

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
    this.run(req, res, c);
    return true;
  }

  private run(req: IncomingMessage, res: ServerResponse, c: CommonCase): void {
    const start = performance.now();
    const id = (req.headers['x-request-id'] as string | undefined) || uuidv7();
    const p = this.parts;
    const v2 = c.protocol === 'v2';
    const headers: Record<string, string> = { 'x-request-id': id };
    if (p.worker !== undefined) headers['x-modelgate-worker'] = p.worker;
    headers['x-content-type-options'] = 'nosniff';
    headers['content-security-policy'] = API_CSP;
    let admitted = false;
    res.once('close', () => {
      if (admitted) p.edge!.admission.release();
      admitted = false;
      if (res.writableFinished) this.completed(req, res, c.route, start);
    });
    if (p.edge) {
      const refused = p.edge.admission.admit();
      if (refused !== null) {
        p.edge.countShed(c.params.name, refused);
        headers['retry-after'] = RETRY_AFTER_S;
        this.send(res, 503, headers, v2 ? V2_JSON_TYPE : JSON_TYPE, shedBody(c.protocol, refused));
        return;
      }
      admitted = true;
    }
    const fail = (err: unknown) => this.fail(res, headers, id, v2, err);
    let actor;
    try {
      actor = p.admit(req.headers, 'predict', req.socket.remoteAddress, c.params.name);
    } catch (err) {
      fail(err);
      return;
    }
    const answer = (bytes: Buffer) => {
      if (c.protocol === 'v2' && c.raw) {
        // The binary tensor data extension: the handler reads the JSON header itself, as from Fastify's buffer parser.
        p.infer(c.params, req.headers, bytes).then((w) => this.sendWire(res, headers, w), fail);
        return;
      }
      let body: unknown;
      try {
        body = parseJsonBody(bytes.toString('utf8'));
      } catch (err) {
        // As Fastify after any parser error: the client may send more, so the connection closes.
        headers.connection = 'close';
        fail(err);
        return;
      }
      if (c.protocol === 'v2') p.infer(c.params, req.headers, body).then((w) => this.sendWire(res, headers, w), fail);
      else p.predict(c.kind, c.params, c.explain, req.headers, body).then((a) => this.send(res, 200, headers, JSON_TYPE, this.serialised(a)), fail);
    };
    if (actor instanceof Promise) actor.then(() => readBody(req, answer), fail);
    else readBody(req, answer);
  }

  /** The compiled serializer's call in a frame of its own, so a profile counts it as serialisation, as Fastify's `reply.serialize`. */
  private serialised(answer: unknown): string {
    return this.parts.serialize(answer);
  }

  /** A V2 answer as `V2Routes`' Fastify handler sends it: its own Content-Type, and the JSON header's length when binary outputs follow. */
  private sendWire(res: ServerResponse, headers: Record<string, string>, w: InferWire): void {
    if (w.headerLength !== undefined) headers['inference-header-content-length'] = String(w.headerLength);
    this.send(res, 200, headers, w.contentType, w.body);
  }

  /** As the error filter's `sendError`: the envelope (the protocol's shape on V2), its status and headers, and the same log lines. */
  private fail(res: ServerResponse, headers: Record<string, string>, id: string, v2: boolean, err: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const r = renderError(err);
    if (r.status >= 500 && r.status !== 503 && r.status !== 504) {
      const e = err as { message?: string; code?: string; stack?: string };
      this.parts.logger.error({ request_id: id, err: { message: e?.message, code: e?.code, stack: e?.stack } }, 'request failed');
    } else this.parts.logger.debug({ request_id: id, code: r.code, msg: r.message }, 'request refused');
    for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
    this.send(res, r.status, headers, v2 ? V2_JSON_TYPE : JSON_TYPE, JSON.stringify(v2 ? v2Envelope(r) : envelope(r)));
  }

  private send(res: ServerResponse, status: number, headers: Record<string, string>, type: string, body: string | Buffer): void {
    if (res.headersSent || res.destroyed) return;
    headers['content-type'] = type;
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
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

/** Reads a body whose Content-Length is known and within the limit, whole, as Fastify's parsers do. */
function readBody(req: IncomingMessage, then: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A caller gone mid-body: nothing to answer; the slot is given back on the response's close.
  req.on('error', () => undefined);
  req.once('end', () => {
    // Node's parser delivers exactly Content-Length bytes or ends the request early (aborted).
    if (req.complete) then(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  });
}
