import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

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
 * which sheds: requests in flight, and the event-loop delay as
 * `@fastify/under-pressure` measures it (the histogram's mean over a sample
 * interval, less its resolution). Pure bookkeeping: the delay reading is
 * passed in, so a test can drive it.
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
 * The event-loop delay, sampled every `sampleMs` from node's own histogram
 * (as `@fastify/under-pressure` does): reading it per request would cost
 * more than the request budget allows.
 */
export class EventLoopDelaySampler {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private last = 0;

  constructor(
    sampleMs = 250,
    private readonly resolutionMs = 10,
  ) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.timer.unref();
  }

  /** The mean delay of the last sample interval, in ms. */
  get delayMs(): number {
    return this.last;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private sample(): void {
    const mean = this.histogram.mean;
    this.last = Number.isFinite(mean) ? Math.max(0, mean / 1e6 - this.resolutionMs) : 0;
    this.histogram.reset();
  }
}
