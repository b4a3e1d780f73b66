import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

describe('RingBuffer', () => {
  it('hands items back oldest first across the wrap-around', () => {
    const q = new RingBuffer<number>(3);
    q.push(1);
    q.push(2);
    q.discard(1);
    q.push(3);
    q.push(4);
    expect(q.peek(10)).toEqual([2, 3, 4]);
  });

  it('refuses a push when full and keeps what it holds', () => {
    const q = new RingBuffer<string>(2);
    expect(q.push('a')).toBe(true);
    expect(q.push('b')).toBe(true);
    expect(q.isFull).toBe(true);
    expect(q.push('c')).toBe(false);
    expect(q.peek(5)).toEqual(['a', 'b']);
  });

  it('leaves peeked items queued until they are discarded', () => {
    const q = new RingBuffer<number>(4);
    [1, 2, 3].forEach((x) => q.push(x));
    expect(q.peek(2)).toEqual([1, 2]);
    expect(q.length).toBe(3);
    expect(q.discard(2)).toBe(2);
    expect(q.peek(2)).toEqual([3]);
  });

  it('discards no more than it holds', () => {
    const q = new RingBuffer<number>(4);
    q.push(1);
    expect(q.discard(10)).toBe(1);
    expect(q.length).toBe(0);
    expect(q.peek(3)).toEqual([]);
  });

  it('accepts nothing at capacity zero', () => {
    const q = new RingBuffer<number>(0);
    expect(q.push(1)).toBe(false);
    expect(q.length).toBe(0);
    expect(q.peek(1)).toEqual([]);
  });

  it('rejects a negative or fractional capacity', () => {
    expect(() => new RingBuffer(-1)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });

  it('releases references to discarded items so they can be collected', () => {
    const q = new RingBuffer<object>(2);
    q.push({});
    q.discard(1);
    expect((q as unknown as { slots: unknown[] }).slots.every((s) => s === undefined)).toBe(true);
  });

  it('behaves like a bounded array queue under any sequence of operations', () => {
    type Op = { kind: 'push'; v: number } | { kind: 'peek'; n: number } | { kind: 'discard'; n: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), v: fc.integer() }),
      fc.record({ kind: fc.constant('peek' as const), n: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('discard' as const), n: fc.integer({ min: 0, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.array(op, { maxLength: 200 }), (capacity, ops: Op[]) => {
        const q = new RingBuffer<number>(capacity);
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            const accepted = model.length < capacity;
            if (accepted) model.push(o.v);
            expect(q.push(o.v)).toBe(accepted);
          } else if (o.kind === 'peek') {
            expect(q.peek(o.n)).toEqual(model.slice(0, o.n));
          } else {
            expect(q.discard(o.n)).toBe(model.splice(0, o.n).length);
          }
          expect(q.length).toBe(model.length);
        }
      }),
    );
  });
});
