import { Injectable } from '@nestjs/common';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { type FilledRow, lookedUp } from '../features/online-feature-fill.js';
import { Metrics } from '../metrics/metrics.js';
import { PredictionRecorder } from '../monitoring/telemetry/prediction-recorder.js';
import { LiveSketches } from '../monitoring/live/live-sketches.js';
import type { NumericMatrix } from './feature-reader.js';
import { type InferenceFeeds, takesMatrix, type TensorPayload } from './inference-payload.js';
import type { LoadedVersion } from './loaded-version.js';
import { ModelRuntime } from './model-runtime.js';
import { extraOutputs, type PredictionRow, read, type RowsInput, sameFeatures } from './prediction-rows.js';
import { QueueFull } from './serving.errors.js';

/**
 * Runs a copy of a live request on the policy's shadow versions after the
 * caller's answer has been written. Their outputs and latency are recorded
 * against the live prediction ids for comparison; whatever happens to them
 * never reaches the caller. Rows and tensors alike: a tensor request runs
 * on each shadow version the way that version takes it (its feature
 * matrix, or its feeds).
 */
type ShadowInput = { rows: NumericMatrix; n: number } | { feeds: InferenceFeeds; rows: number };
type InputFor = (v: LoadedVersion) => ShadowInput;
const NO_ROWS = new Float64Array(0);

@Injectable()
export class ShadowRunner {
  constructor(
    private readonly runtime: ModelRuntime,
    private readonly recorder: PredictionRecorder,
    private readonly metrics: Metrics,
    @InjectLogger() private readonly logger: Logger,
    private readonly sketches: LiveSketches,
  ) {}

  schedule(
    model: string,
    versions: readonly number[],
    served: LoadedVersion,
    data: NumericMatrix,
    input: RowsInput,
    n: number,
    predictions: readonly PredictionRow[],
    /** The live rows as filled from the online store: each copy's record keeps its live prediction's feature source. */
    filled?: readonly FilledRow[],
  ): void {
    this.later(model, versions, served, (v) => ({ rows: sameFeatures(served, v) ? data : read(v, input, n), n }), predictions, filled);
  }

  /** A tensor request's copies; `data` is the served version's feature matrix when it went the matrix way. */
  scheduleTensors(
    model: string,
    versions: readonly number[],
    served: LoadedVersion,
    payload: TensorPayload,
    data: NumericMatrix | undefined,
    n: number,
    predictions: readonly PredictionRow[],
  ): void {
    this.later(model, versions, served, (v) => {
      if (!takesMatrix(v)) return payload.feedsFor(v);
      if (data && takesMatrix(served) && sameFeatures(served, v)) return { rows: data, n };
      const m = payload.matrixFor(v);
      return { rows: read(v, { matrix: m }, m.rows), n: m.rows };
    }, predictions);
  }

  private later(model: string, versions: readonly number[], served: LoadedVersion, inputFor: InputFor, predictions: readonly PredictionRow[], filled?: readonly FilledRow[]): void {
    setImmediate(() => {
      // Live requests backed up on the version that answered come first: a
      // shadow copy is the first work shed, so it never delays them. A live
      // request merely waiting out its batch window is no backlog: after
      // every answer, a fast sequential client's next request waits there.
      if (served.backlogged) {
        for (const version of versions) if (version !== served.version) this.shed(model, version);
        return;
      }
      for (const version of versions) {
        if (version === served.version) continue;
        void this.run(model, version, inputFor, predictions, filled).catch((err) =>
          this.logger.warn({ model, version, err: (err as Error).message }, 'shadow run failed unexpectedly'),
        );
      }
    });
  }

  private async run(model: string, version: number, inputFor: InputFor, predictions: readonly PredictionRow[], filled?: readonly FilledRow[]): Promise<void> {
    const h = this.metrics.shadowHandles(model, version);
    const started = performance.now();
    const fail = (error: string) => {
      h.outcome('error').inc();
      this.sketches.observeError(model, version, 'shadow', performance.now() - started);
      const now = Date.now();
      for (const p of predictions) {
        this.recorder.recordShadow({ predictionId: p.prediction_id, model, version, createdAt: now, latencyMs: performance.now() - started, error });
      }
    };
    const v = this.runtime.get(model, version);
    if (!v) return fail('not loaded');
    let input: ShadowInput;
    try {
      input = inputFor(v);
    } catch (err) {
      return fail(`input does not fit this version: ${(err as Error).message}`);
    }
    try {
      if ('feeds' in input) return await this.runFeeds(model, v, input, predictions, started);
      const { rows, n } = input;
      const { results, offset } = await v.infer(rows, n, { shadow: true });
      const decoded = v.decode(results, offset, n);
      const latencyMs = performance.now() - started;
      h.outcome('ok').inc();
      h.duration.observe(latencyMs / 1000);
      this.sketches.observe(model, version, 'shadow', rows, v.width, n, decoded, latencyMs);
      const now = Date.now();
      const multiclass = v.task === 'multiclass_classification';
      for (let i = 0; i < n && i < predictions.length; i++) {
        const row = decoded[i];
        this.recorder.recordShadow({
          predictionId: predictions[i].prediction_id,
          model,
          version,
          createdAt: now,
          latencyMs,
          score: row.score ?? row.value,
          label: row.label,
          outputs: extraOutputs(row, multiclass),
          lookedUp: filled !== undefined && lookedUp(filled[i]),
        });
      }
    } catch (err) {
      if (err instanceof QueueFull) return this.shed(model, version);
      fail((err as Error).message.split('\n')[0].slice(0, 500));
    }
  }

  /** A generic tensor model's copy: outputs are not comparable row by row, so its record is the latency (and any error). */
  private async runFeeds(model: string, v: LoadedVersion, input: { feeds: InferenceFeeds; rows: number }, predictions: readonly PredictionRow[], started: number): Promise<void> {
    await v.run(input.feeds);
    const latencyMs = performance.now() - started;
    const h = this.metrics.shadowHandles(model, v.version);
    h.outcome('ok').inc();
    h.duration.observe(latencyMs / 1000);
    this.sketches.observe(model, v.version, 'shadow', NO_ROWS, 0, input.rows, [], latencyMs);
    const now = Date.now();
    for (const p of predictions) this.recorder.recordShadow({ predictionId: p.prediction_id, model, version: v.version, createdAt: now, latencyMs });
  }

  /** A shadow copy not run because live traffic needs the capacity: counted, not recorded as a version error. */
  private shed(model: string, version: number): void {
    this.metrics.shadowHandles(model, version).outcome('shed').inc();
    this.metrics.requestsShed.labels(model, 'shadow_queue_full').inc();
  }
}
