import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

/**
 * A real HTTP server on loopback that records what it is sent. `down()`
 * closes the listening socket (connections are refused, as from a receiver
 * that is really down) and `up()` listens again on the same port; `status`
 * sets what a live server answers.
 */
export class LoopbackReceiver {
  readonly received: Received[] = [];
  status = 200;
  /** Milliseconds to hold each answer, so concurrent senders overlap. */
  delayMs = 0;
  private server?: http.Server;
  private portNumber = 0;

  static async start(status = 200): Promise<LoopbackReceiver> {
    const r = new LoopbackReceiver();
    r.status = status;
    await r.up();
    return r;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          /* not JSON: kept raw */
        }
        const status = this.status;
        if (status < 300) this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body, at: Date.now() });
        const answer = () => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status < 300 ? 'success' : 'error' }));
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => resolve());
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.down();
  }
}
