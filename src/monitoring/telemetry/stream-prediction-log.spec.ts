import { describe, expect, it } from 'vitest';
import { Pushed } from './encoded-row-queue.js';
import type { PredictionEvent } from './prediction-event.js';
import { RecordQueue, streamPredictionSink } from './stream-prediction-log.js';
import type { PredictionRecord } from './telemetry-records.js';

const record = (i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord => ({
  id: `0193b5a0-0000-7000-8000-${String(i).padStart(12, '0')}`,
  model: 'loan',
  version: 1,
  variant: 'production',
  protocol: 'v1',
  fallback: false,
  createdAt: 1_765_000_000_000 + i,
  latencyMs: 1,
  score: 0.25,
  ...extra,
});

function writers(maxPayload = 1 << 20) {
  const calls: string[] = [];
  const published: PredictionEvent[][] = [];
  let failPublish = false;
  return {
    calls,
    published,
    fail: (v: boolean) => (failPublish = v),
    w: {
      maxPayload,
      publish: async (events: readonly PredictionEvent[]) => {
        calls.push('publish');
        if (failPublish) throw new Error('no ack');
        published.push([...events]);
      },
      writeScores: async (_parts: Buffer[], skipStored: boolean) => void calls.push(skipStored ? 'scores skipping stored' : 'scores'),
    },
  };
}

describe('RecordQueue', () => {
  it('refuses records past its capacity and records that cannot be events, as the PostgreSQL queue does', () => {
    const q = new RecordQueue(2);
    expect(q.push(record(1))).toBe(Pushed.Queued);
    expect(q.push(record(2, { version: 1.5 }))).toBe(Pushed.Rejected);
    expect(q.push(record(3, { id: 'not-a-uuid' }))).toBe(Pushed.Rejected);
    expect(q.push(record(4))).toBe(Pushed.Queued);
    expect(q.push(record(5))).toBe(Pushed.Full);
    expect(q.peek(10).map((r) => r.id)).toEqual([record(1).id, record(4).id]);
    q.discard(1);
    expect(q.length).toBe(1);
  });
});

describe('streamPredictionSink', () => {
  it('publishes a batch and then writes its slim rows, passing on the retry that skips stored rows', async () => {
    const f = writers();
    const sink = streamPredictionSink(f.w);
    const p = sink.prepare([record(1), record(2)]);
    expect(p).toMatchObject({ rows: 2, rejected: 0 });
    await sink.store(p, false);
    await sink.store(p, true);
    expect(f.calls).toEqual(['publish', 'scores', 'publish', 'scores skipping stored']);
    expect(f.published[0].map((e) => e.id)).toEqual([record(1).id, record(2).id]);
  });

  it('writes no slim rows for a batch the stream did not acknowledge, so the whole batch is retried', async () => {
    const f = writers();
    const sink = streamPredictionSink(f.w);
    f.fail(true);
    await expect(sink.store(sink.prepare([record(1)]), false)).rejects.toThrow('no ack');
    expect(f.calls).toEqual(['publish']);
  });

  it('rejects records with no JSON form or larger than the server takes, and keeps the rest', () => {
    const f = writers(4096);
    const sink = streamPredictionSink(f.w);
    const p = sink.prepare([record(1), record(2, { outputs: { x: 1n } }), record(3, { inputs: { blob: 'x'.repeat(5000) } }), record(4)]);
    expect(p).toMatchObject({ rows: 2, rejected: 2 });
    expect(p.events.map((e) => e.id)).toEqual([record(1).id, record(4).id]);
  });

  it('keeps a prepared batch intact while the next batch is prepared (a retry resends the same rows)', () => {
    const sink = streamPredictionSink(writers().w);
    const first = sink.prepare([record(1)]);
    const bytes = Buffer.concat(first.scores);
    sink.prepare([record(2), record(3)]);
    expect(Buffer.concat(first.scores)).toEqual(bytes);
  });
});
