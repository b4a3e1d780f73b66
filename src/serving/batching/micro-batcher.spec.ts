import { afterEach, describe, expect, it, vi } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

interface Job {
  id: number;
  rows: number;
  settled?: boolean;
}

const job = (id: number, rows = 1): Job => ({ id, rows });
const ids = (jobs: Job[]) => jobs.map((j) => j.id);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls a condition once per event-loop turn until a deadline, instead of sleeping for a guessed time. */
async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await nextTurn();
  }
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Records batches; each batch finishes when the test says so. */
function manual(maxBatchRows: number, maxWaitMs = 0) {
  const batches: Job[][] = [];
  const pending: ReturnType<typeof deferred>[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const batcher = new MicroBatcher<Job>({
    maxBatchRows,
    maxWaitMs,
    execute: async (jobs) => {
      batches.push(jobs);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const d = deferred();
      pending.push(d);
      try {
        await d.promise;
      } finally {
        concurrent--;
      }
    },
  });
  const finishAll = async () => {
    while (pending.length > 0 || !batcher.idle) {
      pending.shift()?.resolve();
      await nextTurn();
    }
  };
  return { batcher, batches, pending, finishAll, maxConcurrent: () => maxConcurrent };
}

/** What onnxruntime-node's run() does: defer to setImmediate, then block the event loop for the whole inference. */
function blockingRun(ms: number): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      const end = performance.now() + ms;
      while (performance.now() < end);
      resolve();
    }),
  );
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MicroBatcher', () => {
  it('runs the jobs submitted in one event-loop turn as one batch, in submission order', async () => {
    const seen: { jobs: number[]; rows: number }[] = [];
    const b = new MicroBatcher<Job>({ maxBatchRows: 64, maxWaitMs: 0, execute: (jobs, rows) => void seen.push({ jobs: ids(jobs), rows }) });
    for (let i = 0; i < 5; i++) b.submit(job(i, i + 1));
    expect(seen).toEqual([]);
    await until(() => seen.length > 0);
    expect(seen).toEqual([{ jobs: [0, 1, 2, 3, 4], rows: 15 }]);
    expect(b.batchesRun).toBe(1);
    expect(b.rowsRun).toBe(15);
  });

  it('closes a batch as soon as its rows reach maxBatchRows: 200 single rows with a maximum of 64 make 64, 64, 64, 8', async () => {
    const { batcher, batches, finishAll, maxConcurrent } = manual(64);
    for (let i = 0; i < 200; i++) batcher.submit(job(i));
    expect(batches.map((b) => b.length)).toEqual([64]);
    await finishAll();
    expect(batches.map((b) => b.length)).toEqual([64, 64, 64, 8]);
    expect(batches.flat().map((j) => j.id)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(maxConcurrent()).toBe(1);
    expect(batcher.largestBatchRows).toBe(64);
  });

  it('makes the same batches of a burst when execute is synchronous', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher<Job>({ maxBatchRows: 64, maxWaitMs: 0, execute: (jobs) => void sizes.push(jobs.length) });
    for (let i = 0; i < 200; i++) b.submit(job(i));
    expect(sizes).toEqual([64, 64, 64]);
    await b.drain();
    expect(sizes).toEqual([64, 64, 64, 8]);
  });

  it('never puts more than maxBatchRows rows in a batch of multi-row jobs', async () => {
    const { batcher, batches, finishAll } = manual(64);
    const rows = [30, 30, 10, 20, 40, 5, 64, 1];
    rows.forEach((r, i) => batcher.submit(job(i, r)));
    await finishAll();
    expect(batches.map(ids)).toEqual([[0, 1], [2, 3], [4, 5], [6], [7]]);
    for (const b of batches) expect(b.reduce((n, j) => n + j.rows, 0)).toBeLessThanOrEqual(64);
  });

  it('runs a job larger than maxBatchRows alone, after the jobs queued before it', async () => {
    const { batcher, batches, finishAll } = manual(64);
    batcher.submit(job(1, 10));
    batcher.submit(job(2, 500));
    batcher.submit(job(3, 10));
    await finishAll();
    expect(batches.map(ids)).toEqual([[1], [2], [3]]);
  });

  it('starts the jobs that arrived during a batch together as soon as it finishes, without waiting again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { batcher, batches, pending } = manual(64, 1_000);
    batcher.submit(job(1));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(batches.map(ids)).toEqual([[1]]);
    for (let i = 2; i <= 6; i++) batcher.submit(job(i));
    await nextTurn();
    expect(batches).toHaveLength(1);
    pending[0].resolve();
    await until(() => batches.length === 2);
    expect(batches[1].map((j) => j.id)).toEqual([2, 3, 4, 5, 6]);
  });

  it('waits maxWaitMs from the first job of a batch, and later jobs join it without extending the wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const seen: number[][] = [];
    const b = new MicroBatcher<Job>({ maxBatchRows: 64, maxWaitMs: 5, execute: (jobs) => void seen.push(ids(jobs)) });
    b.submit(job(1));
    await vi.advanceTimersByTimeAsync(3);
    b.submit(job(2));
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([[1, 2]]);
    b.submit(job(3));
    await vi.advanceTimersByTimeAsync(4);
    expect(seen).toEqual([[1, 2]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([[1, 2], [3]]);
  });

  it('does not wait for the timer once a batch is full, and the next batch gets a timer of its own', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const seen: number[][] = [];
    const b = new MicroBatcher<Job>({ maxBatchRows: 2, maxWaitMs: 10, execute: (jobs) => void seen.push(ids(jobs)) });
    b.submit(job(1));
    await vi.advanceTimersByTimeAsync(8);
    b.submit(job(2));
    expect(seen).toEqual([[1, 2]]);
    b.submit(job(3));
    await vi.advanceTimersByTimeAsync(9);
    expect(seen).toEqual([[1, 2]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([[1, 2], [3]]);
  });

  it.each([1, 0])('with maxBatchRows %i executes every job on its own as it is submitted', (maxBatchRows) => {
    const seen: { jobs: number[]; rows: number }[] = [];
    const b = new MicroBatcher<Job>({ maxBatchRows, maxWaitMs: 5, execute: (jobs, rows) => void seen.push({ jobs: ids(jobs), rows }) });
    b.submit(job(1, 3));
    expect(seen).toEqual([{ jobs: [1], rows: 3 }]);
    b.submit(job(2));
    expect(seen).toEqual([
      { jobs: [1], rows: 3 },
      { jobs: [2], rows: 1 },
    ]);
    expect(b.idle).toBe(true);
  });

  it('keeps executing later batches when execute throws or rejects, and reports each error', async () => {
    const errors: unknown[] = [];
    const done: number[] = [];
    let calls = 0;
    const b = new MicroBatcher<Job>({
      maxBatchRows: 2,
      maxWaitMs: 0,
      execute: async (jobs) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        if (calls === 2) return Promise.reject(new Error('rejected'));
        done.push(...ids(jobs));
      },
      onError: (err) => errors.push((err as Error).message),
    });
    for (let i = 0; i < 6; i++) b.submit(job(i));
    await b.drain();
    expect(done).toEqual([4, 5]);
    expect(errors).toEqual(['boom', 'rejected']);
    expect(b.failures).toBe(2);
  });

  it('survives an execute that throws synchronously and an error hook that throws', async () => {
    const done: number[] = [];
    const b = new MicroBatcher<Job>({
      maxBatchRows: 2,
      maxWaitMs: 0,
      execute: (jobs) => {
        if (jobs[0].id === 0) throw new Error('sync');
        done.push(...ids(jobs));
      },
      onError: () => {
        throw new Error('hook');
      },
    });
    for (let i = 0; i < 5; i++) b.submit(job(i));
    await b.drain();
    expect(done).toEqual([2, 3, 4]);
  });

  it('drain starts a waiting batch at once and resolves when every batch has finished', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { batcher, batches, pending } = manual(64, 60_000);
    batcher.submit(job(1));
    batcher.submit(job(2));
    let drained = false;
    const drain = batcher.drain().then(() => (drained = true));
    expect(batches.map(ids)).toEqual([[1, 2]]);
    batcher.submit(job(3));
    await nextTurn();
    expect(drained).toBe(false);
    pending[0].resolve();
    await until(() => pending.length === 2);
    expect(drained).toBe(false);
    pending[1].resolve();
    await drain;
    expect(batches.map(ids)).toEqual([[1, 2], [3]]);
    expect(batcher.idle).toBe(true);
  });

  it('drain resolves at once when nothing is queued or in flight', async () => {
    const b = new MicroBatcher<Job>({ maxBatchRows: 8, maxWaitMs: 0, execute: () => undefined });
    await expect(b.drain()).resolves.toBeUndefined();
  });

  it('drain waits for jobs in flight with batching off', async () => {
    const gate = deferred();
    let finished = false;
    const b = new MicroBatcher<Job>({
      maxBatchRows: 1,
      maxWaitMs: 0,
      execute: async () => {
        await gate.promise;
        finished = true;
      },
    });
    b.submit(job(1));
    b.submit(job(2));
    expect(b.inFlight).toBe(2);
    const drain = b.drain();
    gate.resolve();
    await drain;
    expect(finished).toBe(true);
    expect(b.idle).toBe(true);
  });

  describe('with an execute that blocks the event loop, like onnxruntime-node', () => {
    it('settles the batch and starts the next one before the event loop reads more I/O', async () => {
      const log: string[] = [];
      let seenByNextMacrotask: string[] | undefined;
      const b: MicroBatcher<Job> = new MicroBatcher<Job>({
        maxBatchRows: 64,
        maxWaitMs: 0,
        execute: async (jobs) => {
          log.push(`run ${ids(jobs).join(',')}`);
          if (jobs[0].id === 1) {
            // Two requests read from sockets while batch 1 waits for its
            // inference, then the first macrotask after that inference.
            setImmediate(() => {
              b.submit(job(2));
              b.submit(job(3));
              setImmediate(() => (seenByNextMacrotask = [...log]));
            });
          }
          await blockingRun(2);
          for (const j of jobs) j.settled = true;
          log.push(`settled ${ids(jobs).join(',')}`);
        },
      });
      b.submit(job(1));
      await until(() => seenByNextMacrotask !== undefined);
      expect(seenByNextMacrotask).toEqual(['run 1', 'settled 1', 'run 2,3']);
      await b.drain();
      expect(log).toEqual(['run 1', 'settled 1', 'run 2,3', 'settled 2,3']);
    });

    it('coalesces requests under sustained load, one inference at a time, losing and reordering nothing', async () => {
      const order: number[] = [];
      let running = 0;
      let maxRunning = 0;
      const b = new MicroBatcher<Job>({
        maxBatchRows: 32,
        maxWaitMs: 0,
        execute: async (jobs) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await blockingRun(1);
          for (const j of jobs) {
            j.settled = true;
            order.push(j.id);
          }
          running--;
        },
      });
      const all: Job[] = [];
      // 400 requests arriving 8 per event-loop turn, as sockets would deliver them.
      for (let turn = 0; turn < 50; turn++) {
        for (let k = 0; k < 8; k++) {
          const j = job(turn * 8 + k);
          all.push(j);
          b.submit(j);
        }
        await nextTurn();
      }
      await b.drain();
      expect(all.every((j) => j.settled)).toBe(true);
      expect(order).toEqual(all.map((j) => j.id));
      expect(maxRunning).toBe(1);
      expect(b.jobsRun).toBe(400);
      expect(b.batchesRun).toBeLessThan(100);
      expect(b.largestBatchRows).toBeLessThanOrEqual(32);
    });
  });
});
