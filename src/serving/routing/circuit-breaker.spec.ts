import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';

function breaker(failureThreshold = 3, cooldownMs = 1_000, extra: { trialTimeoutMs?: number } = {}) {
  const clock = { now: 10_000 };
  const changes: CircuitState[] = [];
  const b = new CircuitBreaker({ failureThreshold, cooldownMs, clock: () => clock.now, onStateChange: (s) => changes.push(s), ...extra });
  return { b, clock, changes };
}

function failTimes(b: CircuitBreaker, n: number) {
  for (let i = 0; i < n; i++) {
    b.canPass();
    b.onFailure();
  }
}

describe('CircuitBreaker', () => {
  it('starts closed and lets every request through', () => {
    const { b } = breaker();
    expect(b.state).toBe('closed');
    for (let i = 0; i < 100; i++) expect(b.canPass()).toBe(true);
  });

  it('opens after the configured number of consecutive failures and refuses requests', () => {
    const { b, changes } = breaker(3);
    failTimes(b, 2);
    expect(b.state).toBe('closed');
    failTimes(b, 1);
    expect(b.state).toBe('open');
    expect(b.canPass()).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('counts only consecutive failures: a success in between starts the count again', () => {
    const { b } = breaker(3);
    failTimes(b, 2);
    b.onSuccess();
    failTimes(b, 2);
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(2);
  });

  it('refuses requests until the cooldown has passed, then lets exactly one trial through', () => {
    const { b, clock } = breaker(1, 1_000);
    failTimes(b, 1);
    expect(b.retryAt).toBe(11_000);
    clock.now += 999;
    expect(b.canPass()).toBe(false);
    clock.now += 1;
    expect(b.canPass()).toBe(true);
    expect(b.state).toBe('half_open');
    expect(b.canPass()).toBe(false);
    expect(b.canPass()).toBe(false);
  });

  it('closes when the trial succeeds', () => {
    const { b, clock, changes } = breaker(1, 1_000);
    failTimes(b, 1);
    clock.now += 1_000;
    expect(b.canPass()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
    expect(b.canPass()).toBe(true);
    expect(b.canPass()).toBe(true);
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('re-opens for another full cooldown when the trial fails', () => {
    const { b, clock, changes } = breaker(5, 1_000);
    failTimes(b, 5);
    clock.now += 1_500;
    expect(b.canPass()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    clock.now += 999;
    expect(b.canPass()).toBe(false);
    clock.now += 1;
    expect(b.canPass()).toBe(true);
    expect(changes).toEqual(['open', 'half_open', 'open', 'half_open']);
  });

  it('re-opens on one trial failure, not after the threshold again', () => {
    const { b, clock } = breaker(10, 100);
    failTimes(b, 10);
    clock.now += 100;
    b.canPass();
    b.onFailure();
    expect(b.state).toBe('open');
  });

  it('ignores outcomes of requests that started before the circuit opened', () => {
    const { b, clock } = breaker(1, 1_000);
    failTimes(b, 1);
    b.onSuccess();
    expect(b.state).toBe('open');
    clock.now += 600;
    b.onFailure();
    clock.now += 400;
    expect(b.canPass()).toBe(true);
  });

  it('allows another trial when the previous one never reported back', () => {
    const { b, clock } = breaker(1, 1_000, { trialTimeoutMs: 5_000 });
    failTimes(b, 1);
    clock.now += 1_000;
    expect(b.canPass()).toBe(true);
    clock.now += 4_999;
    expect(b.canPass()).toBe(false);
    clock.now += 1;
    expect(b.canPass()).toBe(true);
    expect(b.canPass()).toBe(false);
  });

  it('with a cooldown of 0 still lets only one trial through at a time', () => {
    const { b } = breaker(1, 0);
    failTimes(b, 1);
    expect(b.canPass()).toBe(true);
    expect(b.canPass()).toBe(false);
  });

  it('takes the time as an argument as well as from its clock', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 50, clock: () => 0 });
    b.onFailure(1_000);
    expect(b.canPass(1_049)).toBe(false);
    expect(b.canPass(1_050)).toBe(true);
  });

  it('never lets two trials through at once, whatever the sequence of calls', () => {
    type Op = { kind: 'pass' } | { kind: 'ok' } | { kind: 'fail' } | { kind: 'tick'; ms: number };
    const op = fc.oneof(
      fc.constant<Op>({ kind: 'pass' }),
      fc.constant<Op>({ kind: 'ok' }),
      fc.constant<Op>({ kind: 'fail' }),
      fc.integer({ min: 0, max: 2_000 }).map<Op>((ms) => ({ kind: 'tick', ms })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        // trialTimeoutMs above any reachable clock, so that only a report ends a trial.
        const { b, clock } = breaker(2, 500, { trialTimeoutMs: 1e12 });
        let trials = 0;
        for (const o of ops) {
          if (o.kind === 'tick') clock.now += o.ms;
          else if (o.kind === 'ok' || o.kind === 'fail') {
            if (o.kind === 'ok') b.onSuccess();
            else b.onFailure();
            trials = 0;
          } else {
            const before = b.state;
            const passed = b.canPass();
            if (before === 'closed') expect(passed).toBe(true);
            else if (passed) trials++;
            if (b.state === 'open') expect(passed).toBe(false);
          }
          expect(trials).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});
