import { describe, expect, it } from 'vitest';
import { evictionVictims, type Resident, unroutedCapacity, waitForRoom } from './load-budget.js';

const v = (key: string, lastUsed: number, residentUntil = 0): Resident => ({ key, lastUsed, residentUntil });

describe('load budget', () => {
  it('leaves unrouted versions what routed ones leave of the bound, and at least one slot', () => {
    expect(unroutedCapacity(16, 4)).toBe(12);
    expect(unroutedCapacity(16, 16)).toBe(1);
    expect(unroutedCapacity(16, 300)).toBe(1);
  });

  it('evicts nothing while unrouted versions fit, however many are routed', () => {
    expect(evictionVictims(3, 40, [v('a', 1)], 100)).toEqual([]);
  });

  it('evicts the least recently used unrouted versions past their residency', () => {
    const unrouted = [v('new', 50), v('old', 10), v('mid', 30)];
    expect(evictionVictims(3, 1, unrouted, 100)).toEqual(['old']);
    expect(evictionVictims(2, 1, unrouted, 100)).toEqual(['old', 'mid']);
  });

  it('keeps a version inside its residency even when over the bound', () => {
    const unrouted = [v('held', 10, 1_000), v('free', 50)];
    expect(evictionVictims(2, 1, unrouted, 100)).toEqual(['free']);
    expect(evictionVictims(2, 1, [v('held', 10, 1_000), v('held2', 20, 2_000)], 100)).toEqual([]);
  });

  it('lets an on-demand load start into a free slot or one whose residency ended, else says how long to wait', () => {
    expect(waitForRoom(4, 1, [v('a', 1, 500)], 0, 100, 60_000)).toBe(0);
    expect(waitForRoom(2, 1, [v('a', 1, 50)], 0, 100, 60_000)).toBe(0);
    expect(waitForRoom(2, 1, [v('a', 1, 700), v('b', 1, 400)], 0, 100, 60_000)).toBe(300);
    // A load already under way takes the last free slot.
    expect(waitForRoom(3, 1, [v('a', 1, 700)], 1, 100, 60_000)).toBe(600);
    expect(waitForRoom(1, 1, [], 1, 100, 60_000)).toBe(60_000);
  });
});
