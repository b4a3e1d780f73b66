/** Why a request was refused at the edge, as `modelgate_requests_shed_total{reason}`. */
export type EdgeShedReason = 'in_flight' | 'event_loop_delay';

export interface EdgeAdmissionLimits {
  /** Prediction requests between their first hook and their answer; 0 = no limit. */
  maxInFlight: number;
  /** Mean event-loop delay over the last sample, in ms; 0 = not measured. */
  maxEventLoopDelayMs: number;
}

/**
 * Admission at the edge, the first thing a prediction request meets: past
 * capacity, the event loop (HTTP, parsing, JSON) saturates before the
 * micro-batcher's queue bound is reached, and every admitted request's
 * latency grows with the crowd. Refusing the excess here, before its body is
 * read, keeps the latency of the requests let in. Two signals, either of
 * which sheds: requests in flight, and the event-loop delay (see
 * EventLoopDelaySampler). Pure bookkeeping: the delay reading is passed in,
 * so a test can drive it.
 */
export class EdgeAdmission {
  private inFlight = 0;

  constructor(
    private readonly limits: EdgeAdmissionLimits,
    private readonly delayMs: () => number = () => 0,
  ) {}

  get current(): number {
    return this.inFlight;
  }

  /** Takes a slot and answers `null`, or answers why the request is refused (and takes nothing). */
  admit(): EdgeShedReason | null {
    const max = this.limits.maxInFlight;
    if (max > 0 && this.inFlight >= max) return 'in_flight';
    const maxDelay = this.limits.maxEventLoopDelayMs;
    if (maxDelay > 0 && this.delayMs() > maxDelay) return 'event_loop_delay';
    this.inFlight++;
    return null;
  }

  /** Gives back the slot of an admitted request (answered or aborted). */
  release(): void {
    if (this.inFlight > 0) this.inFlight--;
  }
}

/**
 * The event-loop delay: how late a timer due every `sampleMs` fires, the
 * fallback measure of `@fastify/under-pressure`. Node's own histogram
 * (`monitorEventLoopDelay`) records nothing while one long task blocks the
 * loop between two reads, which is exactly when this must see it; a timer's
 * lateness always does. Read per request, it costs a field access.
 */
export class EventLoopDelaySampler {
  private timer: NodeJS.Timeout;
  private due: number;
  private last = 0;

  constructor(private readonly sampleMs = 100) {
    this.due = performance.now() + sampleMs;
    this.timer = this.schedule();
  }

  /** How late the last sample timer fired, in ms. */
  get delayMs(): number {
    return this.last;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private schedule(): NodeJS.Timeout {
    const t = setTimeout(() => {
      const now = performance.now();
      this.last = Math.max(0, now - this.due);
      this.due = now + this.sampleMs;
      this.timer = this.schedule();
    }, this.sampleMs);
    t.unref();
    return t;
  }
}
