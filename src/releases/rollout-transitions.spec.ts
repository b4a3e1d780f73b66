import { describe, expect, it } from 'vitest';
import { stepTraffic } from './rollout-transitions.js';

describe('the traffic of a rollout step', () => {
  it('keeps the baseline first and the candidate second at every weight, so sticky users only move onto the candidate', () => {
    for (const w of [5, 25, 50, 100]) {
      expect(stepTraffic({ baseline_version: 4, candidate_version: 5 }, w, null)).toEqual({
        routes: [
          { version: 4, weight: 100 - w, name: 'baseline' },
          { version: 5, weight: w, name: 'candidate' },
        ],
      });
    }
  });

  it("keeps the policy's sticky key, shadow, fallback and timeout from before the rollout", () => {
    const pre = { routes: [{ alias: 'production', weight: 100 }], sticky: 'header:x-user-id', fallback: 4, timeout_ms: 200 };
    expect(stepTraffic({ baseline_version: 4, candidate_version: 5 }, 25, pre)).toMatchObject({ sticky: 'header:x-user-id', fallback: 4, timeout_ms: 200 });
  });
});
