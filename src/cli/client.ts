import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from './cli-error.js';
import type { Credentials } from './config-file.js';

type RequestBody = NonNullable<RequestInit['body']>;

export interface UploadPart {
  field: string;
  /** A file streamed from disk, or an inline value. */
  file?: string;
  value?: string;
  contentType?: string;
}

/** The service's HTTP API as the CLI uses it: JSON in and out, the error envelope turned into a CliError. */
export class ApiClient {
  constructor(private readonly creds: Credentials) {}

  get<T = any>(route: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.json<T>('GET', withQuery(route, query));
  }
  post<T = any>(route: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', route, body);
  }
  put<T = any>(route: string, body?: unknown): Promise<T> {
    return this.json<T>('PUT', route, body);
  }
  delete<T = any>(route: string, body?: unknown): Promise<T> {
    return this.json<T>('DELETE', route, body);
  }
  /** A text body of its own media type (CSV rows for a feature view). */
  putText<T = any>(route: string, text: string, contentType: string): Promise<T> {
    return this.request<T>('PUT', route, { body: text, headers: { 'content-type': contentType } });
  }

  /** Streams a multipart body from disk; `onProgress(sent, total)` follows the bytes of the file parts. */
  async upload<T = any>(route: string, parts: UploadPart[], onProgress?: (sent: number, total: number) => void): Promise<T> {
    const boundary = `----modelgate${Math.random().toString(16).slice(2)}`;
    const enc = new TextEncoder();
    const head = (p: UploadPart) =>
      enc.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"${p.file ? `; filename="${path.basename(p.file)}"` : ''}\r\n` +
          `Content-Type: ${p.contentType ?? (p.file ? 'application/octet-stream' : 'text/plain')}\r\n\r\n`,
      );
    const sizes = parts.map((p) => (p.file ? fs.statSync(p.file).size : enc.encode(p.value ?? '').length));
    const fileTotal = parts.reduce((s, p, i) => s + (p.file ? sizes[i] : 0), 0);
    const tail = enc.encode(`--${boundary}--\r\n`);
    const length = parts.reduce((s, p, i) => s + head(p).length + sizes[i] + 2, 0) + tail.length;
    let sent = 0;
    async function* body() {
      for (const p of parts) {
        yield head(p);
        if (p.file) {
          for await (const chunk of fs.createReadStream(p.file, { highWaterMark: 256 * 1024 })) {
            sent += (chunk as Buffer).length;
            onProgress?.(sent, fileTotal);
            yield chunk as Buffer;
          }
        } else yield enc.encode(p.value ?? '');
        yield enc.encode('\r\n');
      }
      yield tail;
    }
    return this.request<T>('POST', route, {
      body: Readable.from(body()) as unknown as RequestBody,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length) },
    });
  }

  /** Streams a response body into a file; answers the response headers. */
  async download(route: string, file: string): Promise<Headers> {
    const res = await this.send('GET', route, {});
    if (!res.ok) throw await envelopeError(res);
    await pipeline(Readable.fromWeb(res.body as any), fs.createWriteStream(file));
    return res.headers;
  }

  private json<T>(method: string, route: string, body?: unknown): Promise<T> {
    return this.request<T>(method, route, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  private async request<T>(method: string, route: string, init: { body?: RequestBody; headers?: Record<string, string> }): Promise<T> {
    const res = await this.send(method, route, init);
    if (!res.ok) throw await envelopeError(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  private async send(method: string, route: string, init: { body?: RequestBody; headers?: Record<string, string> }): Promise<Response> {
    const url = `${this.creds.url}${route}`;
    try {
      return await fetch(url, {
        method,
        body: init.body,
        headers: { authorization: `Bearer ${this.creds.apiKey}`, accept: 'application/json', ...init.headers },
        // A streamed request body needs half-duplex in Node's fetch.
        ...(init.body instanceof Readable ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError('UNREACHABLE', `cannot reach ${this.creds.url} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
    }
  }
}

async function envelopeError(res: Response): Promise<CliError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    const e = body.error;
    if (e && typeof e === 'object' && e.code) return new CliError(String(e.code), String(e.message ?? res.statusText));
    if (typeof e === 'string') return new CliError(String(body.code ?? `HTTP_${res.status}`), e);
  } catch {
    // not JSON: fall through
  }
  return new CliError(`HTTP_${res.status}`, `${res.statusText || 'request failed'}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`);
}

function withQuery(route: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${route}?${s}` : route;
}

/** A path segment, escaped. */
export const seg = (s: string | number) => encodeURIComponent(String(s));
