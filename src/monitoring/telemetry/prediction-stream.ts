import { Injectable } from '@nestjs/common';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection, nanos } from '@nats-io/transport-node';
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

/**
 * The prediction log on NATS JetStream: one connection per replica,
 * opened at the first write (a server that is down at start is an outage
 * like any other, not a failed start), reconnecting for ever after. Makes
 * sure the stream exists (creates it with `modelgate.predictions.>` when
 * missing) and publishes each event with its id as `Nats-Msg-Id`, so a
 * batch re-sent after a lost acknowledgement is stored once.
 */
@Injectable()
export class PredictionStream {
  private readonly logger: Logger;
  private readonly servers: string[];
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private streamReady = false;
  private closed = false;
  /** False between a disconnect and the reconnect: publishing then would only pile copies into the client's buffer. */
  private connected = false;

  constructor(@InjectConfig() config: AppConfig, @InjectLogger() logger: Logger) {
    this.logger = logger.child({ component: 'prediction-stream' });
    const log = config.telemetry.log;
    this.servers = log.kind === 'nats' ? log.servers : [];
  }

  /** The server's largest message; an event above it can never be stored. */
  get maxPayload(): number {
    return this.nc?.info?.max_payload ?? 1024 * 1024;
  }

  /** Publishes every event and waits for every acknowledgement; throws StreamUnavailable when any is missing. */
  async publish(events: readonly PredictionEvent[]): Promise<void> {
    if (events.length === 0) return;
    const js = await this.ready();
    if (!this.connected) throw new StreamUnavailable('disconnected from NATS; reconnecting');
    const acks = events.map((e) => {
      const h = headers();
      h.set('ce-specversion', EVENT_SPECVERSION);
      h.set('ce-id', e.id);
      h.set('ce-source', e.source);
      h.set('ce-type', EVENT_TYPE);
      h.set('ce-time', e.time);
      h.set('content-type', EVENT_CONTENT_TYPE);
      return js.publish(e.subject, e.data, { msgID: e.id, headers: h, timeout: ACK_TIMEOUT_MS });
    });
    const results = await Promise.allSettled(acks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // The stream may have gone with the server's storage: look again before the retry.
      this.streamReady = false;
      throw new StreamUnavailable(`${results.filter((r) => r.status === 'rejected').length} of ${events.length} predictions not acknowledged by JetStream: ${String((failed.reason as Error)?.message ?? failed.reason)}`, { cause: failed.reason });
    }
  }

  /** Closes the connection once the recorder's last flush is done. */
  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    this.nc = undefined;
    this.js = undefined;
    await nc?.close().catch(() => undefined);
  }

  private async ready(): Promise<JetStreamClient> {
    if (this.closed) throw new StreamUnavailable('the prediction stream is closed');
    if (!this.nc) {
      try {
        this.nc = await connect({ servers: this.servers, name: 'modelgate', timeout: CONNECT_TIMEOUT_MS, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      } catch (err) {
        throw new StreamUnavailable(`cannot reach NATS at ${this.servers.join(', ')}: ${(err as Error).message}`, { cause: err });
      }
      this.js = jetstream(this.nc, { timeout: ACK_TIMEOUT_MS });
      this.connected = true;
      void this.watch(this.nc);
    }
    if (!this.streamReady) {
      await this.ensureStream(this.nc);
      this.streamReady = true;
    }
    return this.js!;
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
        await jsm.streams.add({ name: PREDICTION_STREAM, subjects: [STREAM_SUBJECTS], duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
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
