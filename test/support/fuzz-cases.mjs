// Hostile HTTP requests for every route, and the rules every answer must keep.
// Plain JavaScript so that the short run in `npm test` (test/fuzz.e2e-spec.ts)
// and the long one (`npm run bench:fuzz`, bench/fuzz.mjs, on the built app)
// share one generator and one judge.
import net from 'node:net';
import fc from 'fast-check';

const INT4_OVER = 2_147_483_648;

/** Strings PostgreSQL, JSON serialisers or our validators have tripped on. */
const HOSTILE_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\ud83d\ude00', 'é', '__proto__', 'constructor', 'toString',
  'hasOwnProperty', 'credit', 'production', 'staging', '1', '0', '-1', '2147483648', '99999999999999999999',
  '1e400', 'NaN', 'null', 'true', '[]', '{}', '%00', '%zz', '../../etc/passwd', "' OR 1=1 --", '<script>',
  'mgk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'header:x-user-id', 'field:user',
];
const FIELD_NAMES = [
  'name', 'task', 'description', 'owner', 'tags', 'version', 'reason', 'routes', 'weight', 'alias', 'fallback',
  'shadow', 'sticky', 'timeout_ms', 'to_revision', 'scopes', 'expires_at', 'instances', 'inputs', 'status',
  'monitoring_policy', 'metadata', 'lineage', 'id', 'parameters', 'outputs', 'datatype', 'shape', 'data', 'limit',
  'before', 'cursor', 'tag', 'features', 'models', 'label', 'prediction_id', '__proto__', 'constructor', 'prototype',
];
const NUMBERS = [0, 1, -1, 2, 100, 0.5, INT4_OVER, 2 ** 53 + 2, -(2 ** 31) - 1, 1e308, 5e-324];
const PARAM_VALUES = [
  'credit', 'x', '1', '2', 'production', 'staging', 'aaaaaaaaaaaa', '0', '-1', '2147483648', '99999999999999999999',
  '1.5', 'a%00b', '%00', '%ED%A0%80', '%zz', '%', 'a'.repeat(101), 'A', '__proto__', 'constructor', '%20', '..',
  'credit%2F1', 'r%C3%A9sum%C3%A9', 'x'.repeat(63),
];
const QUERY_KEYS = ['limit', 'before', 'cursor', 'tag', 'task', 'reason', 'name', 'status', 'api_key', '__proto__', 'x'];
const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain',
  'application/xml', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data',
  'multipart/form-data; boundary=zz', 'application/json; charset=latin1', null,
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  // Lone surrogates and NULs mixed into ordinary text.
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\ud800', '\udc00')).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => 'x'.repeat(n)) },
);
const hostileNumber = fc.oneof(fc.constantFrom(...NUMBERS), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), hostileString), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** A body object with the field names our routes read, and hostile values in them. */
const hostileObject = fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: hostileString }), hostileValue, {
  maxKeys: 6,
});

const deepText = fc
  .tuple(fc.integer({ min: 30, max: 6_000 }), fc.constantFrom('{"a":', '[', '{"tags":'))
  .map(([depth, open]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth));

/** JSON text, mostly valid, sometimes what a careless or hostile client sends. */
const bodyText = fc.oneof(
  { weight: 6, arbitrary: hostileObject.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: deepText },
  // Duplicated keys: JSON.parse keeps the last one; a validator must see the same.
  { weight: 1, arbitrary: fc.constantFrom('{"version":1,"version":2147483648}', '{"name":"a","name":"a\\u0000"}', '{"routes":[],"routes":[{"version":1,"weight":100}]}') },
  // Prototype keys, plain and escaped.
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"\\u005f_proto__":{}}', '{"a":{"__proto__":[]}}') },
  // Truncated or not JSON at all.
  { weight: 1, arbitrary: hostileObject.chain((o) => { const s = JSON.stringify(o); return fc.nat(s.length).map((n) => s.slice(0, n)); }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '"x"', '1e400', '{', '}{', 'not json', '\u0000', '{"a":"\\ud800"}', '{"a":"\\u0000"}') },
);

const multipartBody = fc.constantFrom(
  ['multipart/form-data', '--b\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nxx\r\n--b--\r\n'],
  ['multipart/form-data; boundary=other', '--b\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nxx\r\n--b--\r\n'],
  ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nxxxx'],
  ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-da'],
  ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"description":"a\\u0000"}\r\n--b--\r\n'],
  ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '\r\n--b--\r\n'],
  ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nx\r\n--b--\r\n'],
  ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nnot onnx\r\n--b--\r\n'],
  [`multipart/form-data; boundary=${'b'.repeat(300)}`, `--${'b'.repeat(300)}\r\n\r\n`],
);

/** Percent-encodes like a browser, and a lone surrogate as the WTF-8 bytes a hostile client would send. */
function urlEncode(s) {
  let out = '';
  for (const ch of s) {
    const u = ch.charCodeAt(0);
    if (ch.length === 1 && u >= 0xd800 && u <= 0xdfff) {
      out += [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

function concretePath(url, values) {
  let i = 0;
  return url
    .replace(/:([A-Za-z_]+)/g, () => values[i++ % values.length])
    .replace(/\*/g, () => values[i++ % values.length]);
}

/**
 * One request: a route (method + Fastify URL pattern), hostile path values,
 * query and body, an auth header, a transport (plain, chunked, truncated).
 * @param {{method: string, url: string}[]} routes
 * @param {{ adminToken: string }} ctx
 */
export function requestArbitrary(routes, ctx) {
  return fc
    .record({
      route: fc.constantFrom(...routes),
      // Half the path values name what exists, so requests reach the validators behind the lookups.
      params: fc.array(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom('credit', '1', 'production') }, { weight: 3, arbitrary: fc.constantFrom(...PARAM_VALUES) }, { weight: 1, arbitrary: hostileString.map(urlEncode) }),
        { minLength: 3, maxLength: 3 },
      ),
      query: fc.dictionary(fc.constantFrom(...QUERY_KEYS), fc.oneof(fc.constantFrom(...PARAM_VALUES), hostileString.map(urlEncode)), { maxKeys: 3 }),
      auth: fc.constantFrom('admin', 'admin', 'admin', 'admin', 'admin', 'admin', 'none', 'garbage', 'x-api-key'),
      body: fc.oneof(
        { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...CONTENT_TYPES), bodyText) },
        { weight: 1, arbitrary: multipartBody },
        { weight: 1, arbitrary: fc.constant([null, null]) },
      ),
      transport: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'plain', 'plain', 'chunked', 'truncated'),
      methodOverride: fc.option(fc.constantFrom('PATCH', 'PUT', 'DELETE', 'POST', 'GET', 'OPTIONS', 'HEAD'), { freq: 10 }),
    })
    .map(({ route, params, query, auth, body, transport, methodOverride }) => {
      const method = methodOverride ?? route.method;
      const qs = Object.entries(query).map(([k, v]) => `${k}=${v}`).join('&');
      const path = concretePath(route.url, params) + (qs ? `?${qs}` : '');
      const headers = {};
      if (auth === 'admin') headers.authorization = `Bearer ${ctx.adminToken}`;
      else if (auth === 'garbage') headers.authorization = 'Bearer mgk_zzzz_\u00e9';
      else if (auth === 'x-api-key') headers['x-api-key'] = ctx.adminToken;
      const [contentType, text] = method === 'GET' || method === 'HEAD' ? [null, null] : body;
      if (contentType) headers['content-type'] = contentType;
      return { method, route: `${route.method} ${route.url}`, path, headers, body: text, transport };
    });
}

function encodeHeaderValue(v) {
  // Node refuses to send a header with characters outside latin1; so would any client.
  return Buffer.from(v, 'utf8').toString('latin1');
}

/**
 * Sends one request over its own connection exactly as generated and reads
 * the answer. A truncated body ends the connection early: the answer may
 * then be nothing at all (`status: 0`), which is fine; a hang is not.
 */
export function send(port, req, timeoutMs = 15_000) {
  const body = req.body == null ? null : Buffer.from(req.body, 'utf8');
  let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(req.headers)) head += `${k}: ${encodeHeaderValue(v)}\r\n`;
  let payload;
  if (body && req.transport === 'chunked') {
    head += 'Transfer-Encoding: chunked\r\n\r\n';
    const parts = [];
    for (let i = 0; i < body.length; i += 7) {
      const c = body.subarray(i, i + 7);
      parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
    }
    payload = Buffer.concat([Buffer.from(head), ...parts, Buffer.from('0\r\n\r\n')]);
  } else if (body) {
    const sent = req.transport === 'truncated' ? body.subarray(0, Math.floor(body.length / 2)) : body;
    head += `Content-Length: ${body.length}\r\n\r\n`;
    payload = Buffer.concat([Buffer.from(head), sent]);
  } else {
    payload = Buffer.from(`${head}\r\n`);
  }
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome ?? parse(Buffer.concat(chunks)));
    };
    const timer = setTimeout(() => finish({ status: -1, headers: {}, body: '', json: undefined, hang: true }), timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', () => finish());
    socket.write(payload, () => {
      if (req.transport === 'truncated' && body) socket.end();
    });
  });
}

function parse(buf) {
  const text = buf.toString('latin1');
  const at = text.indexOf('\r\n\r\n');
  if (at < 0) return { status: 0, headers: {}, body: '', json: undefined };
  const [statusLine, ...lines] = text.slice(0, at).split('\r\n');
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let raw = buf.subarray(Buffer.byteLength(text.slice(0, at + 4), 'latin1'));
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) raw = dechunk(raw);
  const body = raw.toString('utf8');
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body, json };
}

function dechunk(buf) {
  const out = [];
  let i = 0;
  while (i < buf.length) {
    const nl = buf.indexOf('\r\n', i);
    if (nl < 0) break;
    const size = parseInt(buf.subarray(i, nl).toString('latin1'), 16);
    if (!size) break;
    out.push(buf.subarray(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** 503s a dependency or overload may honestly give (PRODUCT.md, "Operations"). */
const HONEST_503 = new Set(['NOT_READY', 'LOADING', 'NO_VERSION_AVAILABLE', 'DATABASE_UNAVAILABLE', 'ARTIFACT_STORE_UNAVAILABLE', 'AUTH_UNAVAILABLE', 'OVERLOADED', 'SHUTTING_DOWN']);

/**
 * What is wrong with an answer, or `undefined`. Every refusal is the
 * envelope (`/v2`: the protocol's `{error, code}`) with a stable code; no
 * 5xx but honest 503s; no hang. A truncated request may get no answer.
 */
export function judge(req, res) {
  if (res.hang) return 'no answer within the deadline (hang)';
  if (res.status === 0) return req.transport === 'truncated' ? undefined : 'the connection closed without an answer';
  if (req.method === 'HEAD' || res.status === 204 || res.status === 304) return undefined;
  if (res.status < 400) return undefined;
  const j = res.json;
  // A body cut short fails in Node's parser, which answers before any route
  // is known (and often without the request line): either shape is honest.
  const v2 = req.transport === 'truncated' && res.status === 400 ? typeof j?.error === 'string' : req.path.startsWith('/v2');
  const code = v2 ? j?.code : j?.error?.code;
  if (!j) return `status ${res.status} with a body that is not JSON: ${res.body.slice(0, 120)}`;
  if (v2 ? typeof j.error !== 'string' : typeof j.error?.message !== 'string' || typeof j.error?.details !== 'object') {
    return `status ${res.status} not in the ${v2 ? 'V2' : ''} envelope: ${res.body.slice(0, 160)}`;
  }
  if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(code)) return `status ${res.status} without a stable code: ${res.body.slice(0, 160)}`;
  if (res.status >= 500 && !(res.status === 503 && HONEST_503.has(code))) return `status ${res.status} ${code}: ${res.body.slice(0, 200)}`;
  return undefined;
}

/**
 * Tables that change without a request changing them (telemetry written
 * from a queue, audit rows and rate-limit counters, which PRODUCT.md
 * "Operations" puts outside the rule) and columns that move on every use.
 */
// Registry events are kept for refused requests too, like audit rows (a gate refusal is an event), and their
// fan-out and delivery move on in the background whatever the request was.
const NOT_STATE = /^(predictions|shadow_predictions|audit_log|rate_limit|migrations|typeorm_|registry_events|registry_event_fanout|event_deliveries)/;
const VOLATILE_COLUMNS = { api_keys: ['last_used_at'] };

/** One digest per table of the stored state, read with a pg client. */
export async function snapshot(client) {
  const { rows } = await client.query(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
  );
  const tables = rows.map((r) => r.name).filter((n) => !NOT_STATE.test(n));
  if (!tables.length) return {};
  const parts = tables.map((t) => {
    const drop = (VOLATILE_COLUMNS[t] ?? []).map((c) => ` - '${c}'`).join('');
    return `SELECT '${t}' AS t, count(*)::int AS n, md5(coalesce(string_agg((to_jsonb(x)${drop})::text, ',' ORDER BY (to_jsonb(x)${drop})::text), '')) AS h FROM "${t}" x`;
  });
  const { rows: digests } = await client.query(parts.join(' UNION ALL '));
  return Object.fromEntries(digests.map((d) => [d.t, `${d.n}:${d.h}`]));
}

/** Tables whose digest differs between two snapshots. */
export function changedTables(before, after) {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((t) => before[t] !== after[t]);
}
