// The request bodies file every load generator reads (bench/wrk-post.lua,
// autocannon-load.mjs, paced-load.mjs, overload-load.mjs): one request per line.
//
// - A JSON body as is (it starts with `{`): sent with Content-Type: application/json.
// - `hex <headers> <hex bytes>`: a binary body (V2 binary tensor data, say),
//   sent with the headers given and no Content-Type of its own; <headers> is
//   `name=value&name=value`, or `-` for none.
import { readFileSync } from 'node:fs';

/** One line of a bodies file for a binary body with `headers` ({ name: value }). */
export function binaryLine(headers, bytes) {
  const h = Object.entries(headers).map(([k, v]) => `${k}=${v}`).join('&') || '-';
  if (/[\s]/.test(h)) throw new Error(`headers of a binary body must not contain spaces: ${h}`);
  return `hex ${h} ${Buffer.from(bytes).toString('hex')}`;
}

/** The requests of a bodies file: { headers (lower-case names; content-type for JSON), body: Buffer }. */
export function readBodies(file) {
  const out = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    if (!line.startsWith('hex ')) {
      out.push({ headers: { 'content-type': 'application/json' }, body: Buffer.from(line) });
      continue;
    }
    const [, h, hex] = line.split(' ');
    const headers = {};
    if (h !== '-') for (const kv of h.split('&')) headers[kv.slice(0, kv.indexOf('=')).toLowerCase()] = kv.slice(kv.indexOf('=') + 1);
    out.push({ headers, body: Buffer.from(hex, 'hex') });
  }
  return out;
}
