/**
 * The alert lifecycle of PRODUCT.md ("Alert lifecycle"), per dedup key: an
 * alert fires after `forWindows` judged windows with its condition and
 * resolves after `resolveWindows` judged windows without it. A window that
 * cannot be judged changes nothing, so it neither breaks nor extends a
 * streak. Every transition is returned, so the caller delivers each one in
 * order; flaps are not merged.
 */
export type Phase = 'ok' | 'pending' | 'firing';

export interface RuleState {
  phase: Phase;
  /** Consecutive judged windows with the condition (while ok or pending). */
  activeStreak: number;
  /** Consecutive judged windows without the condition (while firing). */
  clearStreak: number;
}

export type Transition = 'firing' | 'resolved';

export interface Step {
  state: RuleState;
  transition: Transition | null;
}

export const INITIAL_STATE: RuleState = { phase: 'ok', activeStreak: 0, clearStreak: 0 };

export function step(s: RuleState, judged: boolean, active: boolean, forWindows: number, resolveWindows: number): Step {
  if (!judged) return { state: s, transition: null };
  if (s.phase === 'firing') {
    if (active) return { state: { ...s, clearStreak: 0 }, transition: null };
    const clearStreak = s.clearStreak + 1;
    if (clearStreak >= resolveWindows) return { state: INITIAL_STATE, transition: 'resolved' };
    return { state: { ...s, clearStreak }, transition: null };
  }
  if (!active) return { state: INITIAL_STATE, transition: null };
  const activeStreak = s.activeStreak + 1;
  if (activeStreak >= forWindows) return { state: { phase: 'firing', activeStreak: 0, clearStreak: 0 }, transition: 'firing' };
  return { state: { phase: 'pending', activeStreak, clearStreak: 0 }, transition: null };
}

/** A version that stops serving: a firing alert resolves (reason `not serving`), a pending one is forgotten. */
export function stopServing(s: RuleState): Step {
  return { state: INITIAL_STATE, transition: s.phase === 'firing' ? 'resolved' : null };
}
