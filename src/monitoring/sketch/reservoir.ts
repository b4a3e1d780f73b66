/**
 * Seeded randomness for sketches. A baseline built twice from the same rows
 * must be byte-identical (uploads are compared, tests pin values), so nothing
 * here touches Math.random. xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32: small, fast, and good enough that reservoir slots are uniform.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /**
   * A uniform integer in [0, bound), bound <= 2^32, by rejection: taking the
   * remainder directly would favour small values whenever bound does not
   * divide 2^32.
   */
  nextBelow(bound: number): number {
    if (bound <= 1) return 0;
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** FNV-1a: a stable 32-bit hash, so each feature draws its own stream from one seed. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A uniform random sample of at most `capacity` values from a stream
 * (Vitter's Algorithm R): after n offers, every value offered so far is in
 * the reservoir with probability capacity / n.
 */
export class Reservoir {
  private readonly values: Float64Array;
  private seen = 0;

  constructor(
    readonly capacity: number,
    private readonly random: SeededRandom,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`sample size must be a non-negative integer, not ${capacity}`);
    this.values = new Float64Array(capacity);
  }

  offer(value: number): void {
    const i = this.seen++;
    if (i < this.capacity) {
      this.values[i] = value;
      return;
    }
    const j = this.random.nextBelow(i + 1);
    if (j < this.capacity) this.values[j] = value;
  }

  /** Number of values offered so far. */
  get offered(): number {
    return this.seen;
  }

  /** The sample, sorted ascending: the order the KS test reads it in. */
  sortedSample(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.capacity)).sort();
  }
}
