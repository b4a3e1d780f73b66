export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses requests before it lets a trial through. */
  cooldownMs: number;
  /**
   * How long a half-open trial may go unreported before another trial is
   * allowed. Default: the cooldown, at least one second. Without it, a trial
   * whose outcome is never reported (its caller crashed, or dropped the
   * request after `canPass`) would keep the version skipped for ever.
   */
  trialTimeoutMs?: number;
  /** Milliseconds; injectable for tests. */
  clock?: () => number;
  /** Hears every state change (a metric gauge, a log line); never called per request otherwise. */
  onStateChange?: (state: CircuitState) => void;
}

/**
 * Per loaded version: after `failureThreshold` consecutive failures the
 * version is skipped (requests go to the fallback) for `cooldownMs`; then
 * exactly one trial request at a time goes through, and its outcome closes
 * the circuit or opens it for another cooldown.
 *
 * Outcomes reported while open are ignored: they belong to requests that
 * started before the circuit opened and say nothing about the cooldown.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialStartedAt = 0;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly trialTimeoutMs: number;
  private readonly clock: () => number;
  private readonly onStateChange?: (state: CircuitState) => void;

  constructor(options: CircuitBreakerOptions) {
    this.threshold = Math.max(1, Math.floor(options.failureThreshold));
    this.cooldownMs = Math.max(0, options.cooldownMs);
    this.trialTimeoutMs = options.trialTimeoutMs ?? Math.max(this.cooldownMs, 1_000);
    this.clock = options.clock ?? Date.now;
    this.onStateChange = options.onStateChange;
  }

  /**
   * The state as last changed: an open circuit whose cooldown has passed
   * reads `open` until the next `canPass` turns it `half_open`.
   */
  get state(): CircuitState {
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** When an open circuit lets its next trial through (ms, on the breaker's clock); 0 unless open. */
  get retryAt(): number {
    return this.current === 'open' ? this.openedAt + this.cooldownMs : 0;
  }

  /**
   * Whether a request may go to this version now. A true answer in
   * `half_open` makes that request the trial: its caller must report its
   * outcome with `onSuccess` or `onFailure`.
   */
  canPass(now?: number): boolean {
    // Closed is the every-request case: it must not pay for reading a clock.
    if (this.current === 'closed') return true;
    const t = now ?? this.clock();
    if (this.current === 'open') {
      if (t - this.openedAt < this.cooldownMs) return false;
      this.transition('half_open');
      return this.startTrial(t);
    }
    if (this.trialInFlight && t - this.trialStartedAt < this.trialTimeoutMs) return false;
    return this.startTrial(t);
  }

  onSuccess(): void {
    if (this.current === 'open') return;
    this.failures = 0;
    if (this.current === 'half_open') {
      this.trialInFlight = false;
      this.transition('closed');
    }
  }

  onFailure(now?: number): void {
    if (this.current === 'open') return;
    if (this.current === 'half_open' || ++this.failures >= this.threshold) this.open(now ?? this.clock());
  }

  private startTrial(now: number): boolean {
    this.trialInFlight = true;
    this.trialStartedAt = now;
    return true;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.trialInFlight = false;
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    if (this.current === to) return;
    this.current = to;
    this.onStateChange?.(to);
  }
}
