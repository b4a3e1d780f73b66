/**
 * A bounded FIFO queue over a fixed array. `push` is O(1) and refuses
 * (returns false) when full instead of growing, so a stalled consumer costs
 * bounded memory. Reading is two-phase, `peek` then `discard`: a consumer
 * whose write failed leaves its items in place and retries them later,
 * while producers keep appending behind them.
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  get isFull(): boolean {
    return this.size === this.capacity;
  }

  /** Appends `item`, or returns false when the buffer is full. */
  push(item: T): boolean {
    if (this.size === this.capacity) return false;
    let tail = this.head + this.size;
    if (tail >= this.capacity) tail -= this.capacity;
    this.slots[tail] = item;
    this.size++;
    return true;
  }

  /** The oldest `n` items (fewer when fewer are queued), oldest first, without removing them. */
  peek(n: number): T[] {
    const count = Math.max(0, Math.min(n, this.size));
    const out = new Array<T>(count);
    let i = this.head;
    for (let k = 0; k < count; k++) {
      out[k] = this.slots[i] as T;
      if (++i === this.capacity) i = 0;
    }
    return out;
  }

  /** Removes the oldest `n` items; returns how many were removed. */
  discard(n: number): number {
    const count = Math.max(0, Math.min(n, this.size));
    for (let k = 0; k < count; k++) {
      // Release the reference so a flushed record can be collected.
      this.slots[this.head] = undefined;
      if (++this.head === this.capacity) this.head = 0;
    }
    this.size -= count;
    if (this.size === 0) this.head = 0;
    return count;
  }

  clear(): void {
    this.discard(this.size);
  }
}
