import pg from 'pg';
import type { Logger } from '../common/logger.js';

type Handler = (payload: string) => void;

/**
 * One dedicated connection that LISTENs on channels and reconnects with
 * backoff when the database goes away. `onReconnect` runs after every
 * reconnection, because notifications sent while disconnected are lost and
 * the caller must catch up (reconcile) itself.
 */
export class PgListener {
  private client?: pg.Client;
  private readonly handlers = new Map<string, Handler[]>();
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  private connected = false;
  private connecting?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly onReconnect: () => void = () => {},
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  on(channel: string, handler: Handler): void {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler);
    this.handlers.set(channel, list);
  }

  /** Connects and LISTENs; resolves after the first attempt, successful or not (it keeps retrying). */
  start(): Promise<void> {
    this.connecting ??= this.connect(false);
    return this.connecting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = undefined;
    this.connected = false;
    await c?.end().catch(() => {});
  }

  private async connect(isReconnect: boolean): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 5_000 });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      for (const h of this.handlers.get(n.channel) ?? []) {
        try {
          h(n.payload ?? '');
        } catch (err) {
          this.logger.error({ err, channel: n.channel }, 'notification handler failed');
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN "${channel.replace(/"/g, '')}"`);
      if (this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.connected = true;
      this.attempt = 0;
      if (isReconnect) {
        this.logger.info('LISTEN connection restored');
        this.onReconnect();
      }
    } catch (err) {
      await client.end().catch(() => {});
      this.scheduleRetry(err as Error);
    }
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.connected = false;
    client.end().catch(() => {});
    this.scheduleRetry(err);
  }

  private scheduleRetry(err?: Error): void {
    if (this.stopped) return;
    const delay = Math.min(5_000, 100 * 2 ** this.attempt++);
    if (this.attempt === 1) this.logger.warn({ err: err?.message, retry_ms: delay }, 'LISTEN connection lost; reconnecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(true), delay);
    this.retryTimer.unref();
  }
}
