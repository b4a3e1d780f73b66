import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { INFERENCE_THREAD_SOURCE } from './inference-thread.source.js';

/** A tensor as it crosses to and from an inference thread. */
interface WireTensor {
  type: ort.Tensor.Type;
  data: ort.Tensor.DataType;
  dims: readonly number[];
}

export interface ThreadSession {
  thread: InferenceThread;
  handle: number;
  /** The thread's generation when loaded: a replaced worker took the session with it. */
  generation: number;
  inputMetadata: ort.InferenceSession.ValueMetadata[];
  outputMetadata: ort.InferenceSession.ValueMetadata[];
}

/** The thread a session lived in has stopped: the session is gone with it and must be loaded again. */
export class InferenceThreadLost extends Error {
  constructor(reason: string) {
    super(`the inference thread stopped (${reason})`);
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

const ORT_PATH = createRequire(import.meta.url).resolve('onnxruntime-node');

/**
 * One worker thread holding onnxruntime sessions. onnxruntime-node computes
 * a `run()` on the calling thread, so on the event loop's thread every
 * inference blocks the sockets for its whole length; here it runs beside
 * them, and the event loop only pays for the two messages. Inputs are
 * copied once into buffers of their own and transferred; outputs come back
 * transferred.
 */
export class InferenceThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Sessions loaded here and not released (placement: the thread with fewest gets the next). */
  sessions = 0;
  /** Bumped each time the worker is replaced: handles of an older generation are gone. */
  generation = 0;
  private closed = false;

  load(path: string, options: ort.InferenceSession.SessionOptions): Promise<ThreadSession> {
    const generation = this.ensure();
    return this.call<{ handle: number; inputMetadata: ort.InferenceSession.ValueMetadata[]; outputMetadata: ort.InferenceSession.ValueMetadata[] }>({
      op: 'load',
      path,
      options,
    }).then((v) => {
      this.sessions++;
      return { thread: this, handle: v.handle, inputMetadata: v.inputMetadata, outputMetadata: v.outputMetadata, generation };
    });
  }

  run(session: ThreadSession, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    if (session.generation !== this.generation || this.worker === undefined) {
      return Promise.reject(new InferenceThreadLost('its sessions were lost'));
    }
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name in feeds) {
      const t = feeds[name];
      // A view of a reused buffer (a batch buffer, a slab) would clone the whole buffer: copy just the view.
      const data = ArrayBuffer.isView(t.data) ? (t.data as Float32Array).slice() : t.data;
      if (ArrayBuffer.isView(data)) transfer.push(data.buffer as ArrayBuffer);
      wire[name] = { type: t.type, data, dims: t.dims };
    }
    return this.call<Record<string, WireTensor>>({ op: 'run', handle: session.handle, feeds: wire }, transfer).then(tensorsOf);
  }

  release(session: ThreadSession): Promise<void> {
    if (session.generation !== this.generation || this.worker === undefined) return Promise.resolve();
    this.sessions--;
    return this.call({ op: 'release', handle: session.handle }).then(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
    this.lost('the server is shutting down');
  }

  private ensure(): number {
    if (this.closed) throw new InferenceThreadLost('the server is shutting down');
    if (this.worker) return this.generation;
    const w = new Worker(INFERENCE_THREAD_SOURCE, { eval: true, workerData: { ort: ORT_PATH } });
    // Sockets and timers keep the process up; an idle inference thread must not.
    w.unref();
    w.on('message', (m: { id: number; ok: boolean; value?: unknown; message?: string }) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.message));
    });
    const gone = (reason: string) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.sessions = 0;
      this.generation++;
      this.lost(reason);
    };
    w.on('error', (err) => gone(err.message));
    w.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = w;
    return this.generation;
  }

  private lost(reason: string): void {
    const err = new InferenceThreadLost(reason);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker!.postMessage({ ...message, id }, transfer);
    });
  }
}

function tensorsOf(wire: Record<string, WireTensor>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const name in wire) {
    const t = wire[name];
    out[name] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
  }
  return out;
}

/**
 * The inference threads of a process: sessions are placed on the thread
 * holding the fewest, and each session's runs go to its own thread in order.
 */
export class InferenceThreads {
  private readonly threads: InferenceThread[];

  constructor(count: number) {
    if (!(count >= 1)) throw new RangeError('at least one inference thread');
    this.threads = Array.from({ length: count }, () => new InferenceThread());
  }

  get size(): number {
    return this.threads.length;
  }

  /** The thread the next session goes to. */
  pick(): InferenceThread {
    let best = this.threads[0];
    for (const t of this.threads) if (t.sessions < best.sessions) best = t;
    return best;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
