import { describe, expect, it } from 'vitest';
import { StoreBreaker } from './store-breaker.js';

describe('the online store breaker', () => {
  const make = () => {
    let now = 1_000;
    const b = new StoreBreaker({ failureThreshold: 3, coolDownMs: 500 }, () => now);
    return { b, advance: (ms: number) => (now += ms) };
  };

  it('opens after the threshold of failures in a row, not before, and a success in between resets the count', () => {
    const { b } = make();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
  });

  it('lets one probe through after the cool-down; its success closes the breaker', () => {
    const { b, advance } = make();
    for (let i = 0; i < 3; i++) b.failure();
    advance(499);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('opens again for a whole cool-down when the probe fails', () => {
    const { b, advance } = make();
    for (let i = 0; i < 3; i++) b.failure();
    advance(500);
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    advance(499);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.tryAcquire()).toBe(true);
  });
});
