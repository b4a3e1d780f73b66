import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/common/ids.js';
import { Pushed } from '../../src/monitoring/telemetry/encoded-row-queue.js';
import { type Batch, type BatchQueue, type ChannelEvents, TelemetryChannel, type TelemetrySink } from '../../src/monitoring/telemetry/telemetry-channel.js';
import type { PredictionRecord } from '../../src/monitoring/telemetry/telemetry-records.js';

/** A prediction as a log gives it back. */
export interface LoggedPrediction {
  id: string;
  model: string;
  version: number;
  variant: string;
  score: number | null;
  label: string | null;
  inputs: unknown;
}

export type PredictionQueue = BatchQueue<Batch> & { push(r: PredictionRecord): Pushed };

export interface PredictionLogContext {
  /** The queue and sink the recorder builds for this log, over the real backend. */
  open(capacity: number, batchSize: number): { queue: PredictionQueue; sink: TelemetrySink<any, any> };
  /** Everything stored, in storage order (a duplicate shows twice). */
  read(): Promise<LoggedPrediction[]>;
  /** Makes the backend refuse every write, for reasons not in the records, until the returned function runs. */
  outage(): Promise<() => Promise<void>>;
}

function records(n: number, model: string): PredictionRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: uuidv7(),
    model,
    version: 1 + (i % 2),
    variant: i % 2 ? 'canary' : 'production',
    protocol: 'v1' as const,
    fallback: false,
    createdAt: Date.now(),
    latencyMs: 0.5 + i / 1000,
    score: i / n,
    label: i % 3 ? '1' : '0',
    inputs: i % 10 === 0 ? { age: i, region: `r${i % 4}` } : undefined,
  }));
}

/**
 * What every prediction log must do behind the recorder's queue and
 * channel (the same bounded queue, batches and retries for each), run
 * against each backend by its own spec: store each record once per id with
 * what monitoring needs, survive a re-sent batch without a duplicate, drop
 * and count only what can never be stored, and keep records through an
 * outage until the backend is back.
 */
export function behavesAsAPredictionLog(name: string, setup: () => Promise<PredictionLogContext>, teardown: () => Promise<void>) {
  describe(`${name} as a prediction log`, () => {
    let ctx: PredictionLogContext;
    let rejected = 0;
    let written = 0;
    const events: ChannelEvents = {
      written: (rows) => (written += rows),
      rejected: (count) => (rejected += count),
      failed: () => undefined,
    };
    const channel = (capacity = 10_000, batch = 500) => {
      const { queue, sink } = ctx.open(capacity, batch);
      return new TelemetryChannel<Batch, PredictionQueue>(queue, batch, sink, events);
    };
    const byId = async (model: string) => {
      const out = new Map<string, LoggedPrediction[]>();
      for (const p of await ctx.read()) if (p.model === model) out.set(p.id, [...(out.get(p.id) ?? []), p]);
      return out;
    };

    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(teardown);

    it('stores every flushed record once, with its series, score, predicted label and sampled inputs', async () => {
      const c = channel();
      const sent = records(1_234, 'contract-all');
      for (const r of sent) expect(c.queue.push(r)).toBe(Pushed.Queued);
      expect(await c.flush()).toBe(true);
      expect(c.queue.length).toBe(0);
      const stored = await byId('contract-all');
      expect(stored.size).toBe(sent.length);
      for (const r of sent) {
        const got = stored.get(r.id);
        expect(got, r.id).toHaveLength(1);
        expect(got![0]).toMatchObject({ model: r.model, version: r.version, variant: r.variant, score: r.score, label: r.label });
        if (r.inputs) expect(got![0].inputs).toEqual(r.inputs);
      }
    });

    it('stores a batch sent twice (a retry after a lost acknowledgement) once per id', async () => {
      const sent = records(300, 'contract-twice');
      for (let round = 0; round < 2; round++) {
        const c = channel();
        for (const r of sent) c.queue.push(r);
        expect(await c.flush()).toBe(true);
      }
      const stored = await byId('contract-twice');
      expect(stored.size).toBe(300);
      expect([...stored.values()].every((copies) => copies.length === 1)).toBe(true);
    });

    it('drops and counts a record that can never be stored, and stores the rest of its batch', async () => {
      const c = channel();
      const sent = records(50, 'contract-bad');
      const bad = { ...sent[25], id: uuidv7(), outputs: { cannot: 10n } };
      const before = rejected;
      let refusedAtPush = 0;
      for (const r of [...sent.slice(0, 25), bad, ...sent.slice(25)]) if (c.queue.push(r) === Pushed.Rejected) refusedAtPush++;
      expect(await c.flush()).toBe(true);
      expect(refusedAtPush + rejected - before).toBe(1);
      const stored = await byId('contract-bad');
      expect(stored.size).toBe(50);
      expect(stored.has(bad.id)).toBe(false);
    });

    it('keeps records queued while the backend is away and stores them all once it is back', async () => {
      const c = channel();
      const sent = records(400, 'contract-outage');
      const restore = await ctx.outage();
      let restored = false;
      try {
        for (const r of sent.slice(0, 200)) c.queue.push(r);
        expect(await c.flush()).toBe(false);
        for (const r of sent.slice(200)) c.queue.push(r);
        expect(await c.flush()).toBe(false);
        expect(c.queue.length).toBe(400);
        await restore();
        restored = true;
        // The client may take a moment to find the backend again.
        const deadline = Date.now() + 30_000;
        while (!(await c.flush()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      } finally {
        if (!restored) await restore();
      }
      expect(c.queue.length).toBe(0);
      const stored = await byId('contract-outage');
      expect(stored.size).toBe(400);
      expect([...stored.values()].every((copies) => copies.length === 1)).toBe(true);
      expect(written).toBeGreaterThan(0);
    });
  });
}
