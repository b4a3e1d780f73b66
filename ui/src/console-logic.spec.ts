import { describe, expect, it } from 'vitest';
import type { KeySelf, NumericSketch, Revision } from './api/types.js';
import { binsOf } from './components/bins.js';
import { can, refusal } from './permissions.js';
import { servingSlices } from './serving.js';

const key = (scopes: KeySelf['scopes']): KeySelf => ({ id: 'k', name: 'viewer', scopes, models: null });

describe("the console's own logic", () => {
  it('grants as the service does: admin everything, registry:write also reads', () => {
    expect(can(key(['admin']), 'monitor:write')).toBe(true);
    expect(can(key(['registry:write']), 'registry:read')).toBe(true);
    expect(can(key(['registry:read', 'monitor:read']), 'registry:write')).toBe(false);
    expect(refusal(key(['registry:read', 'monitor:read']), 'registry:write')).toBe('Needs the registry:write scope; your key “viewer” holds registry:read, monitor:read.');
    expect(refusal(key(['monitor:write']), 'monitor:write')).toBeNull();
  });

  it('resolves a split’s aliases to versions, and sends everything to production without one', () => {
    expect(servingSlices({ production: 3 }, null)).toEqual([{ label: 'production', version: 3, weight: 100 }]);
    expect(servingSlices({}, null)).toEqual([]);
    expect(
      servingSlices({ production: 3 }, { routes: [{ alias: 'production', weight: 90 }, { version: 4, weight: 10, name: 'candidate' }, { alias: 'gone', weight: 0 }] }),
    ).toEqual([
      { label: 'production', version: 3, weight: 90 },
      { label: 'candidate', version: 4, weight: 10 },
      { label: 'gone', version: null, weight: 0 },
    ]);
  });

  it('puts live counts on the baseline bins as shares, with the outside buckets', () => {
    const sketch: NumericSketch = { type: 'numeric', count: 4, missing: 0, edges: [0, 1, 2], counts: [1, 3], mean: 1, std: 1, min: 0, max: 2, quantiles: {} };
    const b = binsOf(sketch, [2, 2, 4, 0]);
    expect(b.labels).toEqual(['< 0', '0–1', '1–2', '> 2']);
    expect(b.baseline).toEqual([0, 0.25, 0.75, 0]);
    expect(b.live).toEqual([0.25, 0.25, 0.5, 0]);
    // Counts on other bins (a row from before live_counts, or another layout) are not drawn.
    expect(binsOf(sketch, [1, 2]).live).toBeNull();
  });

  it('adds the unseen bucket to a categorical histogram only beside live counts', () => {
    const sketch = { type: 'categorical' as const, count: 4, missing: 0, frequencies: { '2': 1, '10': 3 } };
    expect(binsOf(sketch).labels).toEqual(['2', '10']);
    const b = binsOf(sketch, { '2': 1, '10': 1, '(unseen)': 2 });
    expect(b.labels).toEqual(['2', '10', '(unseen)']);
    expect(b.live).toEqual([0.25, 0.25, 0.5]);
  });
});
