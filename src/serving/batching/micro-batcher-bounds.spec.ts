import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

interface Job {
  id: number;
  rows: number;
  shadow?: boolean;
}

/** A batcher whose batches finish when the test says so, with its queue bounded at `maxQueuedRows`. */
function bounded(maxQueuedRows: number) {
  const batches: number[][] = [];
  const shed: number[] = [];
  const finish: (() => void)[] = [];
  const batcher = new MicroBatcher<Job>({
    maxBatchRows: 4,
    maxWaitMs: 0,
    maxQueuedRows,
    execute: (jobs) => {
      batches.push(jobs.map((j) => j.id));
      return new Promise<void>((resolve) => finish.push(resolve));
    },
    sheddable: (j) => j.shadow === true,
    onShed: (j) => shed.push(j.id),
  });
  return { batcher, batches, shed, finish };
}

/** Fills the batch in flight with four rows so that later jobs queue. */
function busy(b: ReturnType<typeof bounded>) {
  expect(b.batcher.submit({ id: 0, rows: 4 })).toBeUndefined();
  expect(b.batches).toEqual([[0]]);
}

describe('micro-batcher queue bound', () => {
  it('refuses a job that would pass the queued-row bound, at once, and queues the rest', () => {
    const b = bounded(3);
    busy(b);
    expect(b.batcher.submit({ id: 1, rows: 2 })).toBeUndefined();
    expect(b.batcher.submit({ id: 2, rows: 1 })).toBeUndefined();
    expect(b.batcher.submit({ id: 3, rows: 1 })).toBe('queue_full');
    expect(b.batcher.queuedRows).toBe(3);
    b.finish[0]();
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => expect(b.batches[1]).toEqual([1, 2]));
  });

  it('always takes one job into an empty queue, even one larger than the bound', () => {
    const b = bounded(2);
    busy(b);
    expect(b.batcher.submit({ id: 1, rows: 10 })).toBeUndefined();
    expect(b.batcher.submit({ id: 2, rows: 1 })).toBe('queue_full');
  });

  it('admits shadow jobs only into the lower half of the queue', () => {
    const b = bounded(4);
    busy(b);
    expect(b.batcher.submit({ id: 1, rows: 1, shadow: true })).toBeUndefined();
    expect(b.batcher.submit({ id: 2, rows: 1, shadow: true })).toBeUndefined();
    expect(b.batcher.submit({ id: 3, rows: 1, shadow: true })).toBe('queue_full');
    expect(b.batcher.submit({ id: 4, rows: 2 })).toBeUndefined();
  });

  it('sheds queued shadow jobs, newest first, to make room for live ones', () => {
    const b = bounded(4);
    busy(b);
    b.batcher.submit({ id: 1, rows: 1, shadow: true });
    b.batcher.submit({ id: 2, rows: 1, shadow: true });
    b.batcher.submit({ id: 3, rows: 2 });
    expect(b.batcher.submit({ id: 4, rows: 1 })).toBeUndefined();
    expect(b.shed).toEqual([2]);
    expect(b.batcher.submit({ id: 5, rows: 1 })).toBeUndefined();
    expect(b.shed).toEqual([2, 1]);
    expect(b.batcher.submit({ id: 6, rows: 1 })).toBe('queue_full');
    expect(b.batcher.shedJobs).toBe(2);
    expect(b.batcher.queuedRows).toBe(4);
  });

  it('is not backlogged while one job waits out its batch window, only once a full batch waits behind one in flight', () => {
    const b = bounded(100);
    expect(b.batcher.submit({ id: 1, rows: 1 })).toBeUndefined();
    // Waiting for company (the end of this turn), not for capacity.
    expect(b.batcher.queuedRows).toBe(1);
    expect(b.batcher.backlogged).toBe(false);
    const late = bounded(100);
    busy(late);
    late.batcher.submit({ id: 1, rows: 3 });
    expect(late.batcher.backlogged).toBe(false);
    late.batcher.submit({ id: 2, rows: 1 });
    expect(late.batcher.backlogged).toBe(true);
    late.finish[0]();
  });
});
