import { describe, expect, it } from 'vitest';
import { EncodedRowQueue, Pushed } from './encoded-row-queue.js';
import type { CopyWriter } from './telemetry-copy.js';

/** Records are strings written as they are (one length byte, then the text); "bad" cannot be stored, "boom" throws. */
function encode(w: CopyWriter, s: string): boolean {
  if (s === 'bad') return false;
  w.reserve(1 + s.length);
  w.buf[w.at++] = s.length;
  if (s === 'boom') throw new Error('boom');
  w.at += w.buf.write(s, w.at, 'latin1');
  return true;
}

function rows(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; at += 1 + bytes[at]) out.push(bytes.toString('latin1', at + 1, at + 1 + bytes[at]));
  return out;
}

describe('EncodedRowQueue', () => {
  it('peeks at most one chunk of rows, oldest first, and discards across chunks', () => {
    const q = new EncodedRowQueue<string>(100, 3, encode, 1);
    for (const s of ['a', 'bb', 'c', 'dd', 'e']) expect(q.push(s)).toBe(Pushed.Queued);
    expect(q.length).toBe(5);
    expect(rows(q.peek(10).bytes())).toEqual(['a', 'bb', 'c']);
    expect(rows(q.peek(2).bytes())).toEqual(['a', 'bb']);
    expect(q.discard(2)).toBe(2);
    expect(rows(q.peek(10).bytes())).toEqual(['c']);
    expect(q.discard(2)).toBe(2);
    expect(rows(q.peek(10).bytes())).toEqual(['e']);
    q.push('f');
    expect(rows(q.peek(10).bytes())).toEqual(['e', 'f']);
    expect(q.discard(99)).toBe(2);
    expect(q.length).toBe(0);
    expect(q.peek(10).length).toBe(0);
  });

  it('refuses rows beyond its capacity and takes them again once rows are discarded', () => {
    const q = new EncodedRowQueue<string>(2, 10, encode);
    expect([q.push('a'), q.push('b'), q.push('c')]).toEqual([Pushed.Queued, Pushed.Queued, Pushed.Full]);
    q.discard(1);
    expect(q.push('d')).toBe(Pushed.Queued);
    expect(rows(q.peek(10).bytes())).toEqual(['b', 'd']);
  });

  it('leaves no bytes of a record it cannot store, whether the encoder refuses or throws', () => {
    const q = new EncodedRowQueue<string>(10, 10, encode);
    expect([q.push('a'), q.push('bad'), q.push('boom'), q.push('z')]).toEqual([Pushed.Queued, Pushed.Rejected, Pushed.Rejected, Pushed.Queued]);
    expect(q.length).toBe(2);
    expect(rows(q.peek(10).bytes())).toEqual(['a', 'z']);
  });

  it('slices a batch into contiguous halves, as the channel does to find a refused row', () => {
    const q = new EncodedRowQueue<string>(10, 10, encode);
    for (const s of ['a', 'b', 'c', 'd', 'e']) q.push(s);
    const batch = q.peek(10);
    expect(rows(batch.slice(0, 2).bytes())).toEqual(['a', 'b']);
    expect(rows(batch.slice(2).bytes())).toEqual(['c', 'd', 'e']);
    expect(rows(batch.slice(2).slice(1, 2).bytes())).toEqual(['d']);
    expect(batch.slice(3, 1).length).toBe(0);
  });

  it('keeps a taken batch intact while new rows grow the chunk buffer behind it', () => {
    const q = new EncodedRowQueue<string>(100, 50, encode, 1);
    q.push('first');
    const batch = q.peek(10);
    const before = batch.bytes();
    for (let i = 0; i < 40; i++) q.push('x'.repeat(100));
    expect(rows(before)).toEqual(['first']);
    expect(rows(batch.bytes())).toEqual(['first']);
  });

  it('reuses a written chunk, so a steady stream overwrites old bytes only after they are discarded', () => {
    const q = new EncodedRowQueue<string>(100, 2, encode);
    for (let round = 0; round < 5; round++) {
      q.push(`r${round}a`);
      q.push(`r${round}b`);
      expect(rows(q.peek(2).bytes())).toEqual([`r${round}a`, `r${round}b`]);
      q.discard(2);
    }
    expect(q.length).toBe(0);
  });
});
