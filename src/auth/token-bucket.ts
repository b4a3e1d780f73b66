/**
 * Token buckets by key (an API key id, a client address): each holds up to
 * `burst` tokens and refills at `perSecond`. Pure, clock passed in, no
 * allocation on a hit: one Map lookup and a few multiplications, cheap
 * enough for the prediction path.
 */
export interface BucketOptions {
  perSecond: number;
  burst: number;
  /** Most keys tracked; past it the oldest are forgotten (a forgotten key starts full). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly maxKeys: number;

  constructor(private readonly options: BucketOptions) {
    this.perMs = options.perSecond / 1000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Takes a token: 0 when there was one, else the seconds until there is (for `Retry-After`). */
  take(key: string, now: number): number {
    const b = this.refill(key, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return this.wait(b);
  }

  /** Seconds until `key` has a token again (0: it has one now), taking nothing. */
  blocked(key: string, now: number): number {
    if (this.buckets.size === 0) return 0;
    const b = this.buckets.get(key);
    if (b === undefined) return 0;
    const tokens = Math.min(this.options.burst, b.tokens + (now - b.at) * this.perMs);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.forgetOldest();
      b = { tokens: this.options.burst, at: now };
      this.buckets.set(key, b);
      return b;
    }
    if (now > b.at) {
      b.tokens = Math.min(this.options.burst, b.tokens + (now - b.at) * this.perMs);
      b.at = now;
    }
    return b;
  }

  private wait(b: Bucket): number {
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  /** Maps iterate in insertion order: drop the first tenth, the keys seen first. */
  private forgetOldest(): void {
    let n = Math.max(1, Math.floor(this.maxKeys / 10));
    for (const k of this.buckets.keys()) {
      this.buckets.delete(k);
      if (--n === 0) break;
    }
  }
}
