import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body's bytes as received (a binary V2 answer is not UTF-8). */
  raw: Buffer;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: any;
}

/**
 * Sends bytes exactly as given (a client that does not follow the HTTP
 * rules, which supertest will not be) and reads one answer until the server
 * closes or the body's Content-Length arrived.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      const parsed = parseResponse(Buffer.concat(chunks));
      if (!parsed) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parsed);
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
    }, timeoutMs);
    socket.on('data', (c) => {
      chunks.push(c);
      finish();
    });
    socket.on('end', finish);
    socket.on('close', () => {
      finish();
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`connection closed without an answer: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
      }
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

function parseResponse(bytes: Buffer): RawResponse | undefined {
  const head = bytes.indexOf('\r\n\r\n');
  if (head < 0) return undefined;
  const [statusLine, ...lines] = bytes.toString('utf8', 0, head).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const raw = bytes.subarray(head + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  if (length !== undefined && raw.length < length) return undefined;
  const body = raw.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body, raw, json };
}
