/**
 * A circuit breaker in front of the online store. After `failureThreshold`
 * failed or late reads in a row it opens: reads are refused at once (the
 * feature policy decides without waiting out the time budget) for
 * `coolDownMs`; then it is half-open and lets one probe read through. The
 * probe's success closes it; its failure opens it for another cool-down.
 * Pure: the clock is given.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, coolDownMs: 5_000 };

export class StoreBreaker {
  private failures = 0;
  private openedAt = 0;
  private opened = false;
  private probing = false;

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER,
    private readonly clock: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.clock() - this.openedAt >= this.options.coolDownMs ? 'half_open' : 'open';
  }

  /** Whether a read may go to the store now; in half-open, only one probe at a time. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.opened = false;
    this.probing = false;
  }

  failure(): void {
    this.failures++;
    if (this.probing || this.failures >= this.options.failureThreshold) {
      this.opened = true;
      this.openedAt = this.clock();
    }
    this.probing = false;
  }
}
