import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.schema.js';
import { createLogger } from '../common/logger.js';
import { Metrics } from '../metrics/metrics.js';
import type { ServingState } from '../registry/serving-state.js';
import type { ModelRuntime } from './model-runtime.js';
import { RoutingTable } from './routing-table.js';

/** A runtime whose loads succeed only for versions the test has put in its store. */
function fakeRuntime() {
  const loaded = new Set<string>();
  const available = new Set<string>();
  const loads: string[] = [];
  const runtime = {
    reserve: () => () => {},
    setRouted: () => {},
    unloadModel: async () => {},
    isLoaded: (m: string, v: number) => loaded.has(`${m}@${v}`),
    load: async (m: string, v: number) => {
      const key = `${m}@${v}`;
      loads.push(key);
      if (!available.has(key)) throw new Error(`the artifact store is down (${key})`);
      loaded.add(key);
      return {};
    },
  } as unknown as ModelRuntime;
  return { runtime, loaded, available, loads };
}

function setup() {
  const r = fakeRuntime();
  const metrics = new Metrics();
  const table = new RoutingTable(r.runtime, metrics, loadConfig({ MODELGATE_RECONCILE_MS: '1000' }), createLogger('silent'));
  const gauge = async (state: string) => {
    const line = (await metrics.registry.getSingleMetricAsString('modelgate_serving_revision')).split('\n').find((l) => l.includes(`state="${state}"`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };
  return { ...r, table, gauge };
}

const production = (v: number): ServingState => ({ aliases: { production: v }, traffic: null });

afterEach(() => {
  vi.useRealTimers();
});

describe('RoutingTable', () => {
  it('keeps the revision before while a newer one cannot load its versions, and applies it on a retry once they load', async () => {
    vi.useFakeTimers();
    const h = setup();
    h.available.add('m@1');
    await h.table.apply('m', 1, production(1));
    await h.table.apply('m', 2, production(2));
    expect(h.table.revisionOf('m')).toBe(1);
    expect(h.table.knownRevisionOf('m')).toBe(2);
    expect(h.table.pendingRevisions()).toEqual([expect.objectContaining({ model: 'm', revision: 2, appliedRevision: 1, waitingFor: [2], attempts: 1 })]);
    expect(await h.gauge('applied')).toBe(1);
    expect(await h.gauge('pending')).toBe(2);

    // Retries back off: 250 ms, then 500 ms.
    await vi.advanceTimersByTimeAsync(250);
    expect(h.table.pendingRevisions()[0].attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(400);
    expect(h.table.pendingRevisions()[0].attempts).toBe(2);
    h.available.add('m@2');
    await vi.advanceTimersByTimeAsync(100);
    expect(h.table.revisionOf('m')).toBe(2);
    expect(h.table.pendingRevisions()).toEqual([]);
    expect(await h.gauge('applied')).toBe(2);
    expect(await h.gauge('pending')).toBeUndefined();
    h.table.onModuleDestroy();
  });

  it('never waits longer than the reconcile period between retries', async () => {
    vi.useFakeTimers();
    const h = setup();
    h.available.add('m@1');
    await h.table.apply('m', 1, production(1));
    await h.table.apply('m', 2, production(2));
    await vi.advanceTimersByTimeAsync(30_000);
    const attempts = h.table.pendingRevisions()[0].attempts;
    await vi.advanceTimersByTimeAsync(10_000);
    // 1,000 ms apart once the doubling passed MODELGATE_RECONCILE_MS.
    expect(h.table.pendingRevisions()[0].attempts - attempts).toBe(10);
    h.table.onModuleDestroy();
  });

  it('replaces a pending revision with a newer one, and drops it when the newer one applies', async () => {
    const h = setup();
    h.available.add('m@1');
    await h.table.apply('m', 1, production(1));
    await h.table.apply('m', 2, production(2));
    expect(h.table.pendingRevisions()[0].revision).toBe(2);
    // A rollback to what serves: loadable, so it applies and nothing waits.
    await h.table.apply('m', 3, production(1));
    expect(h.table.revisionOf('m')).toBe(3);
    expect(h.table.pendingRevisions()).toEqual([]);
    // An older revision arriving late changes nothing.
    await h.table.apply('m', 2, production(2));
    expect(h.table.knownRevisionOf('m')).toBe(3);
    h.table.onModuleDestroy();
  });

  it('applies a revision at once, loaded or not, for a model that served no routed traffic', async () => {
    const h = setup();
    await h.table.apply('m', 0, { aliases: {}, traffic: null });
    await h.table.apply('m', 1, production(1));
    expect(h.table.revisionOf('m')).toBe(1);
    expect(h.table.pendingRevisions()).toEqual([]);
    expect(h.table.servingNothing()).toEqual(['m']);
    // Nothing loaded serves: the next revision applies at once too.
    await h.table.apply('m', 2, production(2));
    expect(h.table.revisionOf('m')).toBe(2);
    h.table.onModuleDestroy();
  });

  it('counts a model as serving something while its fallback is loaded', async () => {
    const h = setup();
    h.available.add('m@1');
    await h.table.apply('m', 1, { aliases: { production: 2 }, traffic: { routes: [{ version: 2, weight: 100 }], fallback: 1 } as ServingState['traffic'] });
    expect(h.table.revisionOf('m')).toBe(1);
    expect(h.table.servingNothing()).toEqual([]);
    h.table.onModuleDestroy();
  });
});
