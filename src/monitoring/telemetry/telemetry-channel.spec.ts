import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';
import { type ChannelEvents, isDataError, TelemetryChannel, type TelemetrySink } from './telemetry-channel.js';
import type { Statement } from './telemetry-sql.js';

/** Records are numbers; a negative one is refused by the fake database as bad data. */
function statement(records: readonly number[]): Statement {
  const ok = records.filter((r) => !Number.isNaN(r));
  return { sql: 'INSERT', retrySql: 'INSERT ON CONFLICT', params: [ok], rows: ok.length, rejected: records.length - ok.length };
}

function setup(opts: { capacity?: number; batchSize?: number } = {}) {
  const stored: number[] = [];
  const statements: number[][] = [];
  let down: unknown;
  const query = async (_sql: string, params: unknown[]) => {
    const rows = params[0] as number[];
    statements.push(rows);
    if (down) throw down;
    if (rows.some((r) => r < 0)) throw Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' });
    stored.push(...rows);
  };
  const log = { written: 0, rejected: 0, failed: 0, retrying: 0 };
  const events: ChannelEvents = {
    written: (n) => (log.written += n),
    rejected: (n) => (log.rejected += n),
    failed: (_e, retrying) => {
      log.failed++;
      if (retrying) log.retrying++;
    },
  };
  // `sink.query` is swapped by tests that fail one call.
  const sink: TelemetrySink<number[], Statement> & { query: typeof query } = {
    query,
    prepare: statement,
    store(stmt, skipStored) {
      return this.query(skipStored ? stmt.retrySql : stmt.sql, stmt.params);
    },
  };
  const channel = new TelemetryChannel(new RingBuffer<number>(opts.capacity ?? 100), opts.batchSize ?? 4, sink, events);
  const push = (...xs: number[]) => xs.forEach((x) => channel.queue.push(x));
  return { channel, sink, stored, statements, log, push, setDown: (e: unknown) => (down = e) };
}

describe('TelemetryChannel', () => {
  it('writes the queue in batches of at most batchSize, oldest first', async () => {
    const t = setup({ batchSize: 4 });
    t.push(...Array.from({ length: 10 }, (_, i) => i));
    expect(await t.channel.flush()).toBe(true);
    expect(t.statements.map((s) => s.length)).toEqual([4, 4, 2]);
    expect(t.stored).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.channel.queue.length).toBe(0);
    expect(t.log.written).toBe(10);
  });

  it('keeps every record queued while the database is unreachable, and writes them once it is back', async () => {
    const t = setup();
    t.push(1, 2, 3, 4, 5);
    t.setDown(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(await t.channel.flush()).toBe(false);
    expect(t.channel.queue.length).toBe(5);
    expect(t.log.retrying).toBe(1);
    t.setDown(undefined);
    expect(await t.channel.flush()).toBe(true);
    expect(t.stored).toEqual([1, 2, 3, 4, 5]);
  });

  it('treats a missing table or a refused permission as an outage, not as bad records', async () => {
    const t = setup();
    t.push(1);
    t.setDown(Object.assign(new Error('relation "predictions" does not exist'), { code: '42P01' }));
    await t.channel.flush();
    t.setDown(Object.assign(new Error('permission denied'), { code: '42501' }));
    await t.channel.flush();
    expect(t.channel.queue.length).toBe(1);
    expect(t.log.rejected).toBe(0);
  });

  it('finds and drops the one record the database refuses, storing the rest of its batch', async () => {
    const t = setup({ batchSize: 8 });
    t.push(1, 2, 3, -4, 5, 6, 7, 8, 9);
    expect(await t.channel.flush()).toBe(true);
    expect(t.stored.sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7, 8, 9]);
    expect(t.log.rejected).toBe(1);
    expect(t.channel.queue.length).toBe(0);
  });

  it('keeps the unwritten rest of a split batch queued when the database goes away mid-split', async () => {
    const t = setup({ batchSize: 4 });
    t.push(-1, 2, 3, 4);
    const query = t.sink;
    const original = query.query;
    let calls = 0;
    query.query = async (s, p) => {
      // 1: whole batch (bad data), 2: [-1, 2] (bad data), 3: [-1] (bad, dropped), 4: [2] ok, 5: [3, 4] outage
      if (++calls === 5) throw new Error('Connection terminated unexpectedly');
      return original(s, p);
    };
    expect(await t.channel.flush()).toBe(false);
    expect(t.stored).toEqual([2]);
    expect(t.channel.queue.peek(10)).toEqual([3, 4]);
    query.query = original;
    expect(await t.channel.flush()).toBe(true);
    expect(t.stored).toEqual([2, 3, 4]);
  });

  it('drops and counts records the statement builder cannot serialise, without a round trip when none is left', async () => {
    const t = setup();
    t.push(Number.NaN, Number.NaN);
    expect(await t.channel.flush()).toBe(true);
    expect(t.statements).toEqual([]);
    expect(t.log.rejected).toBe(2);
  });

  it('writes only what was queued when the flush began', async () => {
    const t = setup({ batchSize: 2 });
    t.push(1, 2);
    const query = t.sink;
    const original = query.query;
    query.query = async (s, p) => {
      t.push(99);
      return original(s, p);
    };
    await t.channel.flush();
    expect(t.stored).toEqual([1, 2]);
    expect(t.channel.queue.peek(10)).toEqual([99]);
  });

  it('starts no statement after its deadline', async () => {
    const t = setup({ batchSize: 1 });
    t.push(1, 2);
    expect(await t.channel.flush(Date.now() - 1)).toBe(false);
    expect(t.statements).toEqual([]);
  });
});

describe('isDataError', () => {
  it('blames the records for data exceptions, constraint violations and program limits only', () => {
    for (const code of ['22P02', '22021', '23502', '54000']) expect(isDataError({ code })).toBe(true);
    for (const code of ['42P01', '42501', '57P01', '08006', '53100', 'ECONNREFUSED', undefined]) expect(isDataError({ code })).toBe(false);
    expect(isDataError(null)).toBe(false);
  });
});
