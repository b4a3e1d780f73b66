import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AppError, type ErrorKind } from '../common/errors.js';
import { InvalidOnnxModel } from '../onnx/onnx.errors.js';
import type { AnalysisJob, AnalysisResult } from './upload-analysis.js';

/** After a job on a model this large the process is replaced, so the memory onnxruntime took goes back to the OS. */
const RECYCLE_AFTER_BYTES = 64 << 20;

type Job = AnalysisJob & { size: number };

/** What the parent gets back: the baseline as the JSON text the child made, so this loop neither clones nor stringifies it. */
export type AnalysisAnswer = Omit<AnalysisResult, 'baseline' | 'calibration'> & {
  baselineJson: string | null;
  calibrationJson: string | null;
  calibrationError: number | null;
};

interface Pending {
  id: number;
  resolve: (r: AnalysisAnswer) => void;
  reject: (e: Error) => void;
}

/**
 * Runs upload analysis (loading the model, scoring the baseline) in a child
 * process, one job at a time, so a large upload never stalls the event loop
 * that serves predictions nor grows this process's memory by the model's
 * size. The child is started on the first upload and kept for the next.
 */
@Injectable()
export class UploadAnalyser implements OnModuleDestroy {
  private readonly logger = new Logger(UploadAnalyser.name);
  private child: ChildProcess | null = null;
  private ready: Promise<ChildProcess> | null = null;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private shuttingDown = false;

  /** Jobs run in arrival order; each waits for the one before. */
  analyse(job: Job): Promise<AnalysisAnswer> {
    const run = this.queue.then(() => this.runOne(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  onModuleDestroy(): void {
    this.shuttingDown = true;
    this.pending?.reject(new Error('the service is shutting down; upload again'));
    this.stop();
  }

  private async runOne(job: Job): Promise<AnalysisAnswer> {
    const { size, ...rest } = job;
    try {
      const child = await this.start();
      const id = this.nextId++;
      return await new Promise<AnalysisAnswer>((resolve, reject) => {
        this.pending = { id, resolve, reject };
        child.send({ id, job: rest });
      });
    } finally {
      this.pending = null;
      if (size > RECYCLE_AFTER_BYTES) this.stop();
    }
  }

  private start(): Promise<ChildProcess> {
    if (this.ready) return this.ready;
    // From the TypeScript sources (tests), the child needs the loader that strips types.
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(fromSource ? './upload-analysis.child.ts' : './upload-analysis.child.js', import.meta.url);
    const child = fork(entry, [], {
      execArgv: fromSource ? ['--import', new URL('./ts-child-loader.mjs', import.meta.url).href] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    lowerPriority(child, this.logger);
    this.ready = new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => {
        reject(new Error(`the upload analysis process exited before it was ready (code ${code}, signal ${signal})`));
      };
      child.once('exit', onExit);
      child.once('error', reject);
      child.once('message', () => {
        child.off('exit', onExit);
        resolve(child);
      });
    });
    child.on('message', (msg: { id?: number; ok?: boolean; result?: AnalysisAnswer; error?: Record<string, unknown> }) => {
      const p = this.pending;
      if (!p || msg.id !== p.id) return;
      if (msg.ok) p.resolve(msg.result!);
      else p.reject(rebuildError(msg.error ?? {}));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) {
        this.child = null;
        this.ready = null;
      }
      const p = this.pending;
      if (p && this.child === null && !this.shuttingDown) {
        this.logger.warn({ code, signal }, 'the upload analysis process died during a job');
        // A model that crashes onnxruntime is the upload's fault, not the service's.
        p.reject(new InvalidOnnxModel(`the model crashed the analysis process (${signal ?? `exit code ${code}`})`, 'load_failed'));
      }
    });
    this.ready.catch(() => this.stop());
    return this.ready;
  }

  private stop(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Analysis is batch work next to live serving: on a machine with few cores
 * an analysis process at the same priority took a core from the serving
 * loop and its load generator, and p99 rose from 10 ms to 600 ms during a
 * 100 MB upload. At the lowest priority it runs on what serving leaves.
 */
function lowerPriority(child: ChildProcess, logger: Logger): void {
  if (child.pid === undefined) return;
  try {
    os.setPriority(child.pid, 19);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not lower the upload analysis priority');
  }
}

/** The child's error as this process's domain error, so the envelope and status are the same as in-process. */
function rebuildError(data: Record<string, unknown>): Error {
  const { name, message, stack, kind, code, details, headers, ...rest } = data;
  if (typeof kind !== 'string' || typeof code !== 'string') {
    const err = new Error(`upload analysis failed: ${String(message)}`);
    err.stack = String(stack ?? err.stack);
    return err;
  }
  const err = new AppError(kind as ErrorKind, code, String(message), (details as Record<string, unknown>) ?? {}, (headers as Record<string, string>) ?? {});
  Object.assign(err, rest);
  err.name = String(name ?? code);
  return err;
}
