import type { NumericMatrix } from './feature-reader.js';

/** Bytes per slab. */
const SLAB_BYTES = 64 * 1024;

/**
 * Cuts requests' feature matrices from shared slabs. A typed array of more
 * than 64 bytes (16 float32 features) gets a backing store of its own from
 * V8, a malloc and a finaliser each, on every prediction; a view on a slab
 * is one small object (~0.07 us against ~0.5 us for 30 float32 features).
 * A slab is never reused: each view owns its bytes, zeroed as a new array's
 * are, and a slab is freed once every view on it is. A matrix larger than
 * a sixteenth of a slab gets an array of its own, so that one big request
 * neither wastes nor pins a slab.
 */
export class MatrixSlab {
  private slab = new ArrayBuffer(0);
  private at = 0;
  private readonly maxViewBytes: number;

  constructor(
    private readonly float64: boolean,
    private readonly slabBytes = SLAB_BYTES,
  ) {
    this.maxViewBytes = slabBytes / 16;
  }

  /** A zeroed matrix of `n` values that no other caller shares. */
  allocate(n: number): NumericMatrix {
    const bytes = n * (this.float64 ? 8 : 4);
    if (bytes > this.maxViewBytes) return this.float64 ? new Float64Array(n) : new Float32Array(n);
    if (this.at + bytes > this.slab.byteLength) {
      this.slab = new ArrayBuffer(this.slabBytes);
      this.at = 0;
    }
    const at = this.at;
    // One element type per slab, so every view starts aligned for it.
    this.at = at + bytes;
    return this.float64 ? new Float64Array(this.slab, at, n) : new Float32Array(this.slab, at, n);
  }
}
