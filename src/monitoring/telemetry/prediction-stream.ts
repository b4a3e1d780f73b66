import { Injectable } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, createInbox, headers, type Msg, type NatsConnection, nanos, type Subscription } from '@nats-io/transport-node';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { EVENT_CONTENT_TYPE, EVENT_SPECVERSION, EVENT_TYPE, PREDICTION_STREAM, STREAM_SUBJECTS, type PredictionEvent } from './prediction-event.js';

/** JetStream drops a message whose Nats-Msg-Id it saw this recently: the window a retried batch must land in. */
const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
/** How long one publish waits for its acknowledgement before the batch counts as failed (and stays queued). */
const ACK_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 2_000;

/** A stream failure: the batch stays queued and is retried (it has no SQLSTATE, so the channel never blames the records). */
export class StreamUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamUnavailable';
  }
}

/** The acknowledgements one `publish` call waits for. */
interface PendingBatch {
  left: number;
  failed: number;
  firstError: string;
  done(): void;
}

/**
 * The prediction log on NATS JetStream: one connection per replica,
 * opened at the first write (a server that is down at start is an outage
 * like any other, not a failed start), reconnecting for ever after. Makes
 * sure the stream exists (creates it with `modelgate.predictions.>` and
 * the log's retention as its max age when missing) and publishes each event with its id as `Nats-Msg-Id`, so a
 * batch re-sent after a lost acknowledgement is stored once.
 *
 * Publishing is asynchronous, the way JetStream's own async publishers
 * work: every message of a batch goes out at once on the core connection
 * with a reply subject under one inbox, and one subscription collects the
 * acknowledgements (a JetStream publish per message, each with its own
 * request, promise and timer, reached 3,700 messages a second here).
 */
@Injectable()
export class PredictionStream {
  private readonly logger: Logger;
  private readonly servers: string[];
  private readonly maxAgeMs: number;
  private nc?: NatsConnection;
  private acks?: Subscription;
  private inbox = '';
  private nextSeq = 0;
  private readonly pending = new Map<number, PendingBatch>();
  /** Event-loop seconds spent handing messages to the client (headers and publish calls), for the benchmark. */
  publishLoopSeconds = 0;
  private streamReady = false;
  private closed = false;
  /** False between a disconnect and the reconnect: publishing then would only pile copies into the client's buffer. */
  private connected = false;

  constructor(@InjectConfig() config: AppConfig, @InjectLogger() logger: Logger) {
    this.logger = logger.child({ component: 'prediction-stream' });
    const log = config.telemetry.log;
    this.servers = log.kind === 'nats' ? log.servers : [];
    this.maxAgeMs = config.telemetry.retentionDays * 86_400_000;
  }

  /** The server's largest message; an event above it can never be stored. */
  get maxPayload(): number {
    return this.nc?.info?.max_payload ?? 1024 * 1024;
  }

  /** Publishes every event and waits for every acknowledgement; throws StreamUnavailable when any is missing or refused. */
  async publish(events: readonly PredictionEvent[]): Promise<void> {
    if (events.length === 0) return;
    const nc = await this.ready();
    if (!this.connected) throw new StreamUnavailable('disconnected from NATS; reconnecting');
    const base = this.nextSeq;
    this.nextSeq += events.length;
    let timer: NodeJS.Timeout | undefined;
    const batch: PendingBatch = { left: events.length, failed: 0, firstError: '', done: () => undefined };
    const acknowledged = new Promise<void>((resolve) => (batch.done = resolve));
    try {
      const t0 = performance.now();
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        // `append` on fresh headers: `set` first looks for the key to replace, the largest part of a message's cost.
        const h = headers();
        h.append('ce-specversion', EVENT_SPECVERSION);
        h.append('ce-id', e.id);
        h.append('ce-source', e.source);
        h.append('ce-type', EVENT_TYPE);
        h.append('ce-time', e.time);
        h.append('content-type', EVENT_CONTENT_TYPE);
        h.append('Nats-Msg-Id', e.id);
        this.pending.set(base + i, batch);
        nc.publish(e.subject, e.data, { reply: `${this.inbox}.${base + i}`, headers: h });
      }
      this.publishLoopSeconds += (performance.now() - t0) / 1000;
      const expired = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ACK_TIMEOUT_MS)));
      if ((await Promise.race([acknowledged, expired])) === 'timeout') {
        batch.failed += batch.left;
        batch.firstError ||= `no acknowledgement within ${ACK_TIMEOUT_MS} ms`;
      }
    } catch (err) {
      batch.failed = events.length;
      batch.firstError = (err as Error).message;
    } finally {
      clearTimeout(timer);
      for (let i = 0; i < events.length; i++) this.pending.delete(base + i);
    }
    if (batch.failed > 0) {
      // The stream may have gone with the server's storage: look again before the retry.
      this.streamReady = false;
      throw new StreamUnavailable(`${batch.failed} of ${events.length} predictions not acknowledged by JetStream: ${batch.firstError}`);
    }
  }

  /** One acknowledgement: `{"stream":…,"seq":…}` (with `"duplicate": true` for a re-sent id), or an error or a no-responders status. */
  private onAck(msg: Msg): void {
    const subject = msg.subject;
    const seq = Number(subject.slice(subject.lastIndexOf('.') + 1));
    const batch = this.pending.get(seq);
    if (!batch) return;
    this.pending.delete(seq);
    let error = '';
    if (msg.headers?.hasError) error = `${msg.headers.code} ${msg.headers.description}`;
    else {
      try {
        const ack = msg.json<{ seq?: number; error?: { description?: string } }>();
        if (ack.error || typeof ack.seq !== 'number') error = ack.error?.description ?? 'not stored';
      } catch {
        error = 'an acknowledgement that is not JSON';
      }
    }
    if (error) {
      batch.failed++;
      batch.firstError ||= error;
    }
    if (--batch.left === 0) batch.done();
  }

  /** Closes the connection once the recorder's last flush is done. */
  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    this.nc = undefined;
    this.acks = undefined;
    await nc?.close().catch(() => undefined);
  }

  private async ready(): Promise<NatsConnection> {
    if (this.closed) throw new StreamUnavailable('the prediction stream is closed');
    if (!this.nc) {
      try {
        this.nc = await connect({ servers: this.servers, name: 'modelgate', timeout: CONNECT_TIMEOUT_MS, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      } catch (err) {
        throw new StreamUnavailable(`cannot reach NATS at ${this.servers.join(', ')}: ${(err as Error).message}`, { cause: err });
      }
      this.inbox = createInbox();
      this.acks = this.nc.subscribe(`${this.inbox}.*`, {
        callback: (err, msg) => {
          if (!err) this.onAck(msg);
        },
      });
      this.connected = true;
      void this.watch(this.nc);
    }
    if (!this.streamReady) {
      await this.ensureStream(this.nc);
      this.streamReady = true;
    }
    return this.nc;
  }

  private async ensureStream(nc: NatsConnection): Promise<void> {
    try {
      const jsm = await jetstreamManager(nc, { timeout: ACK_TIMEOUT_MS });
      try {
        const info = await jsm.streams.info(PREDICTION_STREAM);
        if (!info.config.subjects?.includes(STREAM_SUBJECTS)) {
          this.logger.warn({ stream: PREDICTION_STREAM, subjects: info.config.subjects }, `the stream exists without ${STREAM_SUBJECTS}; predictions may not be stored`);
        }
      } catch (err) {
        if ((err as { name?: string }).name !== 'StreamNotFoundError' && !/stream not found/i.test((err as Error).message)) throw err;
        // Kept as long as the PostgreSQL log would be (MODELGATE_PREDICTION_RETENTION_DAYS); an operator may change it on the stream.
        await jsm.streams.add({ name: PREDICTION_STREAM, subjects: [STREAM_SUBJECTS], duplicate_window: nanos(DUPLICATE_WINDOW_MS), max_age: nanos(this.maxAgeMs) });
        this.logger.info({ stream: PREDICTION_STREAM, subjects: [STREAM_SUBJECTS] }, 'created the prediction stream');
      }
    } catch (err) {
      if (err instanceof StreamUnavailable) throw err;
      throw new StreamUnavailable(`cannot make sure the stream ${PREDICTION_STREAM} exists: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Logs connection changes once each, not per batch. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.logger.warn({ server: (s as { server?: string }).server }, 'disconnected from NATS; predictions stay queued');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.logger.info({ server: (s as { server?: string }).server }, 'reconnected to NATS');
      }
    }
  }
}
