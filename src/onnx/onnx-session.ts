import ort from 'onnxruntime-node';
import type { ModelSignature } from './model-signature.js';
import { InferenceThreadLost, type InferenceThreads, type ThreadSession } from './inference-threads.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { signatureOf } from './session-signature.js';

export interface OnnxSessionOptions {
  /** Threads inside one operator; 0 lets onnxruntime choose (one per core). */
  intraOpThreads?: number;
  /** Run in one of these inference threads instead of on the calling (event loop) thread. */
  threads?: InferenceThreads;
}

export type OnnxFeeds = Record<string, ort.Tensor>;
export type OnnxResults = Record<string, ort.Tensor>;

/** Where a session's runs happen. */
interface SessionBackend {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  run(feeds: OnnxFeeds): Promise<OnnxResults>;
  release(): Promise<void>;
}

function sessionOptions(opts: OnnxSessionOptions): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: opts.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Run failures (a bad row) reach the caller as rejections; at "error"
    // onnxruntime would also print each one to stderr, once per request.
    logSeverityLevel: 4,
  };
}

/** onnxruntime-node computes `run()` on the calling thread: here, the event loop's, blocked for the whole inference. */
class InProcess implements SessionBackend {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(filePath: string, opts: OnnxSessionOptions): Promise<InProcess> {
    return new InProcess(await ort.InferenceSession.create(filePath, sessionOptions(opts)));
  }
  get inputMetadata() {
    return this.session.inputMetadata;
  }
  get outputMetadata() {
    return this.session.outputMetadata;
  }
  run(feeds: OnnxFeeds): Promise<OnnxResults> {
    return this.session.run(feeds) as Promise<OnnxResults>;
  }
  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * The session lives in an inference thread; the event loop only posts the
 * inputs and reads the outputs. If that thread stops (it should not: a
 * failing run is an answer, not a crash), the session is loaded again in
 * its replacement and the run retried once.
 */
class Threaded implements SessionBackend {
  private constructor(
    private session: ThreadSession,
    private readonly filePath: string,
    private readonly opts: OnnxSessionOptions & { threads: InferenceThreads },
  ) {}

  static async open(filePath: string, opts: OnnxSessionOptions & { threads: InferenceThreads }): Promise<Threaded> {
    return new Threaded(await opts.threads.pick().load(filePath, sessionOptions(opts)), filePath, opts);
  }
  get inputMetadata() {
    return this.session.inputMetadata;
  }
  get outputMetadata() {
    return this.session.outputMetadata;
  }
  run(feeds: OnnxFeeds): Promise<OnnxResults> {
    return this.session.thread.run(this.session, feeds).catch((err: unknown) => {
      if (!(err instanceof InferenceThreadLost)) throw err;
      return this.reload().then(() => this.session.thread.run(this.session, feeds));
    });
  }
  release(): Promise<void> {
    return this.session.thread.release(this.session);
  }
  private async reload(): Promise<void> {
    this.session = await this.opts.threads.pick().load(this.filePath, sessionOptions(this.opts));
  }
}

/**
 * One model loaded in onnxruntime, with its signature. With `threads` its
 * runs happen in an inference thread, beside the event loop; without, on
 * the calling thread, blocking the event loop for the whole inference.
 * Either way callers should batch rows rather than expect concurrency from
 * overlapping calls.
 */
export class OnnxSession {
  private static live = 0;
  private released = false;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Where runs happen: an inference thread, or the calling (event loop) thread. */
  readonly runsIn: 'inference_thread' | 'calling_thread';

  /** Native sessions created and not yet released in this process (a leak shows here). */
  static get liveSessions(): number {
    return OnnxSession.live;
  }

  private constructor(
    private readonly session: SessionBackend,
    readonly signature: ModelSignature,
  ) {
    this.inputNames = session.inputMetadata.map((m) => m.name);
    this.outputNames = session.outputMetadata.map((m) => m.name);
    this.runsIn = session instanceof Threaded ? 'inference_thread' : 'calling_thread';
  }

  static async load(filePath: string, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
    let session: SessionBackend;
    try {
      session = opts.threads ? await Threaded.open(filePath, { ...opts, threads: opts.threads }) : await InProcess.open(filePath, opts);
    } catch (err) {
      throw new InvalidOnnxModel(`the model does not load in onnxruntime: ${(err as Error).message}`, 'load_failed');
    }
    try {
      const s = new OnnxSession(session, signatureOf(session));
      OnnxSession.live++;
      return s;
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  run(feeds: OnnxFeeds): Promise<OnnxResults> {
    if (this.released) return Promise.reject(new Error('the ONNX session was released'));
    return this.session.run(feeds);
  }

  /** Frees the native session; later calls to run() fail. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    OnnxSession.live--;
    await this.session.release();
  }
}
