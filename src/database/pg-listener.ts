import pg from 'pg';
import type { Logger } from '../common/logger.js';

type Handler = (payload: string) => void;

/**
 * The process's one dedicated connection for LISTEN (a pooled connection
 * would lose its LISTENs when returned), shared by every module that follows
 * a channel, reconnecting with backoff when the database goes away.
 * `onReconnect` handlers run after every reconnection, because notifications
 * sent while disconnected are lost and each listener must catch up itself.
 */
export class PgListener {
  private client?: pg.Client;
  private readonly handlers = new Map<string, Handler[]>();
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  private connected = false;
  private connecting?: Promise<void>;
  private readonly reconnectHandlers: (() => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  /** Follows a channel; works before or after `start()`. */
  on(channel: string, handler: Handler): void {
    const list = this.handlers.get(channel);
    if (list) {
      list.push(handler);
      return;
    }
    this.handlers.set(channel, [handler]);
    const client = this.client;
    if (client) this.listenAll(client).catch((err) => this.lost(client, err as Error));
  }

  /** Runs after every reconnection (not the first connection). */
  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
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
      await this.listenAll(client);
      if (this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.connected = true;
      this.attempt = 0;
      if (isReconnect) {
        this.logger.info('LISTEN connection restored');
        for (const h of this.reconnectHandlers) {
          try {
            h();
          } catch (err) {
            this.logger.error({ err }, 'reconnect handler failed');
          }
        }
      }
    } catch (err) {
      await client.end().catch(() => {});
      this.scheduleRetry(err as Error);
    }
  }

  /** One statement for every channel, so the connection's LISTENs are set together (LISTEN is idempotent). */
  private async listenAll(client: pg.Client): Promise<void> {
    if (!this.handlers.size) return;
    await client.query([...this.handlers.keys()].map((c) => `LISTEN "${c.replace(/"/g, '')}"`).join('; '));
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
