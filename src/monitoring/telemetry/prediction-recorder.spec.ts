import type { PredictionBuckets } from '../buckets/prediction-buckets.js';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.js';
import type { AppConfig } from '../../config/config.schema.js';
import { Metrics } from '../../metrics/metrics.js';
import { PredictionRecorder } from './prediction-recorder.js';
import type { PredictionScoreStore } from './prediction-scores.js';
import type { PredictionStream } from './prediction-stream.js';
import type { TelemetryDatabase } from './telemetry-database.js';
import type { PredictionRecord } from './telemetry-records.js';

type Query = (sql: string, params: unknown[]) => Promise<unknown>;

function recorder(telemetry: Partial<AppConfig['telemetry']>, query: Query = async () => []) {
  const config = { telemetry: { queueSize: 1000, flushMs: 60_000, batchSize: 100, inputSampleRate: 0.1, log: { kind: 'postgres' }, ...telemetry } } as AppConfig;
  const metrics = new Metrics();
  // Every write goes through `query`: a COPY arrives as its buffers.
  const db = { query, copy: (_t: string, _c: string, parts: Buffer[]) => query('COPY', [parts]), copySkippingStored: (_t: string, _c: string, parts: Buffer[]) => query('COPY skipping', [parts]) };
  const stream = { close: async () => undefined } as unknown as PredictionStream;
  const scores = {} as PredictionScoreStore;
  return { r: new PredictionRecorder(config, createLogger('silent'), metrics, db as unknown as TelemetryDatabase, stream, scores, { observeRecord() {} } as unknown as PredictionBuckets), metrics };
}

const record: PredictionRecord = {
  id: '019abcde-0000-7000-8000-000000000001',
  model: 'credit',
  version: 4,
  variant: 'v4',
  protocol: 'v1',
  fallback: false,
  createdAt: 1_764_000_000_000,
  latencyMs: 1,
  outputs: [{ score: 0.5 }],
};

describe('PredictionRecorder', () => {
  it('records nothing, counts no drops and samples no inputs when the queue size is 0', () => {
    const { r, metrics } = recorder({ queueSize: 0, inputSampleRate: 1 });
    r.record(record);
    r.recordShadow({ predictionId: record.id, model: 'credit', version: 5, createdAt: 1, latencyMs: 1 });
    expect(r.queued).toEqual({ prediction: 0, shadow: 0 });
    expect(metrics.telemetryDropped.labels('prediction').value).toBe(0);
    expect(r.shouldSampleInputs()).toBe(false);
  });

  it('never throws from record(), whatever it is given', () => {
    const { r } = recorder({ queueSize: 1 });
    expect(() => r.record(undefined as unknown as PredictionRecord)).not.toThrow();
    expect(() => r.record(null as unknown as PredictionRecord)).not.toThrow();
    expect(() => r.recordShadow(42 as never)).not.toThrow();
  });

  it('shares one flush between concurrent callers', async () => {
    let statements = 0;
    const { r } = recorder({}, async () => {
      statements++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    });
    r.record(record);
    await Promise.all([r.flush(), r.flush(), r.flush()]);
    expect(statements).toBe(1);
    expect(r.queued.prediction).toBe(0);
  });

  it('writes what is queued at shutdown', async () => {
    const stored: unknown[] = [];
    const { r } = recorder({}, async (_sql, params) => void stored.push(params[0]));
    r.record(record);
    r.recordShadow({ predictionId: record.id, model: 'credit', version: 5, createdAt: 1, latencyMs: 1 });
    await r.onApplicationShutdown();
    expect(stored).toHaveLength(2);
    expect(r.queued).toEqual({ prediction: 0, shadow: 0 });
  });

  it('gives up the shutdown flush after its time bound when the database does not answer', async () => {
    const { r } = recorder({}, () => new Promise(() => {}));
    r.shutdownFlushMs = 100;
    r.record(record);
    const t0 = Date.now();
    await r.onApplicationShutdown();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(r.queued.prediction).toBe(1);
  });

  it('reports what record() costs per call on a warm path (not asserted)', () => {
    const n = 1_000_000;
    const { r, metrics } = recorder({ queueSize: n });
    const timeRound = () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) r.record(record);
      return Number(process.hrtime.bigint() - t0) / n;
    };
    const clear = () => (r as unknown as { predictions: { queue: { clear(): void } } }).predictions.queue.clear();
    let accept = Infinity;
    for (let round = 0; round < 5; round++) {
      clear();
      accept = Math.min(accept, timeRound());
    }
    const drop = timeRound();
    console.log(`telemetry: record() ${accept.toFixed(1)} ns/call queued, ${drop.toFixed(1)} ns/call dropped (queue full)`);
    expect(metrics.telemetryDropped.labels('prediction').value).toBe(n);
  });
});
