import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COPY_HEADER, COPY_TRAILER, predictionsCopy } from './telemetry-copy.js';
import type { PredictionRecord } from './telemetry-records.js';
import { toJson } from './telemetry-sql.js';
import { uuidv7 } from '../../common/ids.js';

const base: PredictionRecord = {
  id: '019bd000-0000-7000-8000-0000000000a1',
  model: 'm',
  version: 2,
  variant: 'v2',
  protocol: 'v1',
  fallback: false,
  createdAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  latencyMs: 1.5,
};

/** Reads a binary COPY stream back into raw fields (null, or each field's bytes), independently of the writer. */
function decode(data: Buffer): (Buffer | null)[][] {
  expect(data.subarray(0, COPY_HEADER.length)).toEqual(COPY_HEADER);
  const tuples: (Buffer | null)[][] = [];
  let at = COPY_HEADER.length;
  for (;;) {
    const n = data.readInt16BE(at);
    at += 2;
    if (n === -1) break;
    const fields: (Buffer | null)[] = [];
    for (let i = 0; i < n; i++) {
      const len = data.readInt32BE(at);
      at += 4;
      fields.push(len < 0 ? null : data.subarray(at, (at += len)));
    }
    tuples.push(fields);
  }
  expect(at).toBe(data.length);
  return tuples;
}

const uuidText = (b: Buffer) => b.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const timestampMs = (b: Buffer) => Number(b.readBigInt64BE(0)) / 1000 + Date.UTC(2000, 0, 1);

describe('binary COPY of prediction records', () => {
  it('writes the id made last, and one made before it, as their 16 bytes', () => {
    const before = uuidv7();
    const last = uuidv7();
    const { data, rows } = predictionsCopy([{ ...base, id: last }, { ...base, id: before }, { ...base, id: last }]);
    expect(rows).toBe(3);
    expect(decode(data).map((t) => uuidText(t[0]!))).toEqual([last, before, last]);
  });

  it('writes each column in its binary send form, NULL (-1) for what is missing', () => {
    const { data, rows, rejected } = predictionsCopy([{ ...base, score: 0.25, label: 1, fallback: true, lookedUp: true }, base]);
    expect({ rows, rejected }).toEqual({ rows: 2, rejected: 0 });
    expect(data.subarray(-2)).toEqual(COPY_TRAILER);
    const [a, b] = decode(data);
    expect(a).toHaveLength(13);
    expect(uuidText(a[0]!)).toBe(base.id);
    expect(a.slice(1, 2).map(String)).toEqual(['m']);
    expect(a[2]!.readInt32BE(0)).toBe(2);
    expect([String(a[3]), String(a[4])]).toEqual(['v2', 'v1']);
    expect([...a[5]!]).toEqual([1]);
    expect(timestampMs(a[6]!)).toBe(base.createdAt);
    expect(a[7]!.readFloatBE(0)).toBe(1.5);
    expect(a[8]!.readDoubleBE(0)).toBe(0.25);
    expect(String(a[9])).toBe('1');
    expect([a[10], a[11]]).toEqual([null, null]);
    expect([...b[5]!]).toEqual([0]);
    expect([b[8], b[9]]).toEqual([null, null]);
    // feature_source, smallint: 1 looked up, 0 (the default) sent.
    expect([a[12]!.length, a[12]!.readInt16BE(0), b[12]!.readInt16BE(0)]).toEqual([2, 1, 0]);
  });

  it('writes jsonb as version 1 and the JSON text, and replaces NUL, which PostgreSQL text cannot hold', () => {
    const [t] = decode(predictionsCopy([{ ...base, variant: 'a\u0000b', inputs: { s: 'x\u0000y' }, outputs: [0.1, 0.9] }]).data);
    expect(String(t[3])).toBe('a\uFFFDb');
    expect(t[10]![0]).toBe(1);
    expect(JSON.parse(t[10]!.subarray(1).toString())).toEqual([0.1, 0.9]);
    expect(JSON.parse(t[11]!.subarray(1).toString())).toEqual({ s: 'x\uFFFDy' });
  });

  it('rejects records that cannot be stored, counts them and leaves no bytes of them', () => {
    const bad: PredictionRecord[] = [
      { ...base, id: 'not-a-uuid' },
      { ...base, id: '019bd000-0000-7000-8000-00000000zzzz' },
      { ...base, id: '019bd000-0000-7000-8000-00000000\u00e9\u00e9' },
      { ...base, version: 1.5 },
      { ...base, version: 2 ** 31 },
      { ...base, createdAt: Number.NaN },
      { ...base, latencyMs: Number.POSITIVE_INFINITY },
      { ...base, outputs: 10n },
      null as unknown as PredictionRecord,
    ];
    const r = predictionsCopy([base, ...bad, { ...base, model: 'after' }]);
    expect(r).toMatchObject({ rows: 2, rejected: bad.length });
    expect(decode(r.data).map((t) => String(t[1]))).toEqual(['m', 'after']);
  });

  it('round-trips any storable record (property)', () => {
    const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
    const uuid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((p) => p.join('-'));
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const record = fc.record({
      id: uuid,
      model: text,
      version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      variant: text,
      protocol: fc.constantFrom('v1', 'v2') as fc.Arbitrary<'v1' | 'v2'>,
      fallback: fc.boolean(),
      createdAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      latencyMs: fc.float({ noNaN: true, noDefaultInfinity: true }),
      score: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
      label: fc.option(fc.oneof(text, fc.integer()), { nil: undefined }),
      outputs: fc.option(fc.jsonValue(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        const { data, rows } = predictionsCopy(records);
        expect(rows).toBe(records.length);
        decode(data).forEach((t, i) => {
          const r = records[i];
          expect(uuidText(t[0]!)).toBe(r.id);
          expect([String(t[1]), String(t[3])]).toEqual([r.model, r.variant].map((s) => Buffer.from(s).toString()));
          expect(t[2]!.readInt32BE(0)).toBe(r.version);
          expect(timestampMs(t[6]!)).toBe(r.createdAt);
          expect(t[7]!.readFloatBE(0)).toBe(Math.fround(r.latencyMs));
          expect(t[8] === null ? undefined : t[8].readDoubleBE(0)).toBe(r.score);
          expect(t[9] === null ? undefined : String(t[9])).toBe(r.label === undefined ? undefined : Buffer.from(String(r.label)).toString());
          const json = r.outputs === undefined ? null : toJson(r.outputs);
          expect(t[10] === null ? null : t[10].subarray(1).toString()).toBe(json);
        });
      }),
    );
  });
});
