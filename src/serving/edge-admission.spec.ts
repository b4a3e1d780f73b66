import { describe, expect, it } from 'vitest';
import { EdgeAdmission, EventLoopDelaySampler } from './edge-admission.js';

describe('edge admission', () => {
  it('admits up to the in-flight limit, refuses the next, and admits again once one is released', () => {
    const a = new EdgeAdmission({ maxInFlight: 2, maxEventLoopDelayMs: 0 });
    expect(a.admit()).toBeNull();
    expect(a.admit()).toBeNull();
    expect(a.admit()).toBe('in_flight');
    expect(a.current).toBe(2);
    a.release();
    expect(a.admit()).toBeNull();
  });

  it('never refuses a single sequential caller, even with a limit of one', () => {
    const a = new EdgeAdmission({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    for (let i = 0; i < 1000; i++) {
      expect(a.admit()).toBeNull();
      a.release();
    }
  });

  it('refuses while the event-loop delay is past its limit, and takes no slot for a refused request', () => {
    let delay = 5;
    const a = new EdgeAdmission({ maxInFlight: 10, maxEventLoopDelayMs: 20 }, () => delay);
    expect(a.admit()).toBeNull();
    delay = 25;
    expect(a.admit()).toBe('event_loop_delay');
    expect(a.current).toBe(1);
    delay = 0;
    expect(a.admit()).toBeNull();
  });

  it('ignores the delay when its limit is 0 and the in-flight count when that limit is 0', () => {
    const a = new EdgeAdmission({ maxInFlight: 0, maxEventLoopDelayMs: 0 }, () => 1e9);
    for (let i = 0; i < 100; i++) expect(a.admit()).toBeNull();
  });

  it('does not count below zero when a slot is given back twice', () => {
    const a = new EdgeAdmission({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    a.release();
    expect(a.admit()).toBeNull();
    expect(a.admit()).toBe('in_flight');
  });

  it('measures a blocked event loop as delay', async () => {
    const s = new EventLoopDelaySampler(20);
    try {
      const deadline = Date.now() + 5_000;
      while (s.delayMs < 20 && Date.now() < deadline) {
        const until = Date.now() + 150;
        while (Date.now() < until) {
          /* block the loop */
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(s.delayMs).toBeGreaterThanOrEqual(20);
    } finally {
      s.stop();
    }
  });
});
