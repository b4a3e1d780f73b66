import { type ChildProcess, spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort } from '../../src/common/net.js';
import { PREDICTION_STREAM } from '../../src/monitoring/telemetry/prediction-event.js';
import { eventually } from './app.js';

export interface StreamedPrediction {
  subject: string;
  headers: Record<string, string>;
  data: Record<string, unknown>;
}

export interface TestNats {
  url: string;
  /** Stops the server (SIGKILL: an outage, not a drain); its store directory stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store, so the stream and its messages are back. */
  start(): Promise<void>;
  /** Every message of the prediction stream, read by a fresh JetStream consumer from the first. */
  readAll(): Promise<StreamedPrediction[]>;
  /** Messages in the prediction stream (0 when it does not exist). */
  count(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Debian's nats-server with JetStream on a free loopback port and its own
 * store directory (`nats-server -js -sd DIR -p PORT`).
 */
export async function startNats(bin: string): Promise<TestNats> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelgate-nats-'));
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let log = '';
  let client: NatsConnection | undefined;

  const start = async () => {
    proc = spawn(bin, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await eventually(async () => {
        if (proc!.exitCode !== null) throw new Error(`nats-server exited with ${proc!.exitCode}`);
        const nc = await connect({ servers: url, timeout: 500 }).catch(() => undefined);
        if (!nc) return false;
        await nc.close();
        return true;
      }, 20_000, 100);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`nats-server did not start: ${log.slice(-2000)} (${(err as Error).message})`);
    }
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  // The reading client outlives the outages the tests cause.
  const nc = async () => {
    if (!client || client.isClosed()) client = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    return client;
  };

  await start();
  return {
    url,
    start,
    stop,
    async count() {
      const jsm = await jetstreamManager(await nc());
      try {
        return (await jsm.streams.info(PREDICTION_STREAM)).state.messages;
      } catch {
        return 0;
      }
    },
    async readAll() {
      const conn = await nc();
      // After a restart the reading client reconnects on its own schedule and
      // JetStream may not answer at once: a request that times out is retried.
      const { jsm, total } = await retrying(async () => {
        const m = await jetstreamManager(conn);
        return { jsm: m, total: (await m.streams.info(PREDICTION_STREAM)).state.messages };
      });
      const name = `reader_${Math.random().toString(36).slice(2)}`;
      await jsm.consumers.add(PREDICTION_STREAM, { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
      const consumer = await jetstream(conn).consumers.get(PREDICTION_STREAM, name);
      const out: StreamedPrediction[] = [];
      while (out.length < total) {
        const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
        let got = 0;
        for await (const m of batch) {
          const headers: Record<string, string> = {};
          for (const [k, v] of m.headers ?? []) headers[k] = v[0];
          out.push({ subject: m.subject, headers, data: m.json() });
          m.ack();
          got++;
        }
        if (got === 0) break;
      }
      await jsm.consumers.delete(PREDICTION_STREAM, name);
      return out;
    },
    async close() {
      await client?.close().catch(() => undefined);
      await stop();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

async function retrying<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
