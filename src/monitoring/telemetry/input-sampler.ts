/**
 * Decides per request whether its inputs are kept. Random rather than every
 * n-th request, so a client that sends requests in a fixed cycle is not
 * sampled on the same position of its cycle every time.
 */
export class InputSampler {
  constructor(
    readonly rate: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`sample rate must be within [0, 1], got ${rate}`);
  }

  shouldSample(): boolean {
    // Exact at the ends: 0 never calls the generator, 1 always samples.
    if (this.rate === 0) return false;
    if (this.rate === 1) return true;
    return this.random() < this.rate;
  }
}
