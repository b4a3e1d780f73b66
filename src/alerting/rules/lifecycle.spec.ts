import { describe, expect, it } from 'vitest';
import { INITIAL_STATE, type RuleState, step, stopServing, type Transition } from './lifecycle.js';

/** Feeds windows given as 'A' (active), '.' (clear) and '?' (unjudged) and returns the transitions by window index. */
function run(windows: string, forWindows = 2, resolveWindows = 2): { transitions: [number, Transition][]; state: RuleState } {
  let s = INITIAL_STATE;
  const transitions: [number, Transition][] = [];
  [...windows].forEach((c, i) => {
    const r = step(s, c !== '?', c === 'A', forWindows, resolveWindows);
    s = r.state;
    if (r.transition) transitions.push([i, r.transition]);
  });
  return { transitions, state: s };
}

describe('alert lifecycle', () => {
  it('fires after for_windows judged windows with the condition, not before', () => {
    expect(run('A').transitions).toEqual([]);
    expect(run('A').state.phase).toBe('pending');
    expect(run('AA').transitions).toEqual([[1, 'firing']]);
    expect(run('AAA', 3).transitions).toEqual([[2, 'firing']]);
  });

  it('needs the windows to be consecutive: a clear window restarts the count', () => {
    expect(run('A.A').transitions).toEqual([]);
    expect(run('A.AA').transitions).toEqual([[3, 'firing']]);
  });

  it('resolves after resolve_windows judged windows without the condition', () => {
    expect(run('AA.').transitions).toEqual([[1, 'firing']]);
    expect(run('AA..').transitions).toEqual([
      [1, 'firing'],
      [3, 'resolved'],
    ]);
    expect(run('AA.A..').transitions).toEqual([
      [1, 'firing'],
      [5, 'resolved'],
    ]);
  });

  it('leaves the state as it is on a window that cannot be judged', () => {
    expect(run('A?A').transitions).toEqual([[2, 'firing']]);
    expect(run('AA.?.').transitions).toEqual([
      [1, 'firing'],
      [4, 'resolved'],
    ]);
    expect(run('AA????').state.phase).toBe('firing');
  });

  it('returns every transition of a flapping condition, none merged', () => {
    expect(run('AA..AA..', 2, 2).transitions).toEqual([
      [1, 'firing'],
      [3, 'resolved'],
      [5, 'firing'],
      [7, 'resolved'],
    ]);
    expect(run('A.A.', 1, 1).transitions.map((t) => t[1])).toEqual(['firing', 'resolved', 'firing', 'resolved']);
  });

  it('resolves a firing alert when its version stops serving, and forgets a pending one', () => {
    expect(stopServing(run('AA').state)).toEqual({ state: INITIAL_STATE, transition: 'resolved' });
    expect(stopServing(run('A').state)).toEqual({ state: INITIAL_STATE, transition: null });
  });
});
