import ort from 'onnxruntime-node';
import type { ModelSignature } from './model-signature.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { signatureOf } from './session-signature.js';

export interface OnnxSessionOptions {
  /** Threads inside one operator; 0 lets onnxruntime choose (one per core). */
  intraOpThreads?: number;
}

export type OnnxFeeds = Record<string, ort.Tensor>;
export type OnnxResults = Record<string, ort.Tensor>;

/**
 * One model loaded in onnxruntime, with its signature. `run()` returns a
 * promise, but onnxruntime-node computes on the calling thread: the event
 * loop is blocked for the whole inference, so callers should batch rows
 * rather than expect concurrency from overlapping calls.
 */
export class OnnxSession {
  private static live = 0;
  private released = false;

  /** Native sessions created and not yet released in this process (a leak shows here). */
  static get liveSessions(): number {
    return OnnxSession.live;
  }

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly signature: ModelSignature,
  ) {}

  static async load(filePath: string, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(filePath, {
        intraOpNumThreads: opts.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Run failures (a bad row) reach the caller as rejections; at "error"
        // onnxruntime would also print each one to stderr, once per request.
        logSeverityLevel: 4,
      });
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

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  run(feeds: OnnxFeeds): Promise<OnnxResults> {
    if (this.released) return Promise.reject(new Error('the ONNX session was released'));
    return this.session.run(feeds) as Promise<OnnxResults>;
  }

  /** Frees the native session; later calls to run() fail. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    OnnxSession.live--;
    await this.session.release();
  }
}
