import { describe, expect, it } from 'vitest';
import type { ServingState, TrafficPolicy } from '../../registry/serving-state.js';
import { answeringVersions, parseSticky, resolveRoutingPlan, versionsToLoad, type RoutingPlan, type RoutingPlanError } from './routing-plan.js';

function plan(state: ServingState): RoutingPlan {
  const p = resolveRoutingPlan(state);
  if (!p.ok) throw new Error(`expected a plan, got ${p.code}: ${p.message}`);
  return p;
}

function refusal(state: ServingState): RoutingPlanError {
  const p = resolveRoutingPlan(state);
  if (p.ok) throw new Error('expected a refusal');
  return p;
}

const withPolicy = (traffic: TrafficPolicy, aliases: Record<string, number> = { production: 3, staging: 4 }): ServingState => ({
  aliases,
  traffic,
});

describe('resolveRoutingPlan', () => {
  it('resolves the contract example: version and alias routes, sticky header, shadow, fallback, timeout', () => {
    const p = plan(
      withPolicy({
        routes: [
          { version: 3, weight: 90 },
          { alias: 'staging', weight: 10, name: 'challenger' },
        ],
        sticky: 'header:X-User-Id',
        shadow: [5],
        fallback: 2,
        timeout_ms: 250,
      }),
    );
    expect(p).toEqual({
      ok: true,
      source: 'traffic_policy',
      routes: [
        { variant: 'v3', version: 3, weight: 90 },
        { variant: 'challenger', version: 4, weight: 10, alias: 'staging' },
      ],
      cumulativeWeights: [90, 100],
      sticky: { from: 'header', name: 'x-user-id' },
      shadow: [5],
      shadowSample: 1,
      fallback: 2,
      timeoutMs: 250,
    });
  });

  it('carries the shadow sample of the policy', () => {
    expect(plan(withPolicy({ routes: [{ version: 3, weight: 100 }], shadow: [4], shadow_sample: 0.25 })).shadowSample).toBe(0.25);
  });

  it('names an alias route after its alias when the route has no name', () => {
    const p = plan(withPolicy({ routes: [{ alias: 'staging', weight: 100 }] }));
    expect(p.routes[0]).toEqual({ variant: 'staging', version: 4, weight: 100, alias: 'staging' });
  });

  it('keeps a route name over the default for a version route', () => {
    expect(plan(withPolicy({ routes: [{ version: 3, weight: 100, name: 'control' }] })).routes[0].variant).toBe('control');
  });

  it('serves the production alias at full weight as variant v<version> when there is no traffic policy', () => {
    expect(plan({ aliases: { production: 7, staging: 8 }, traffic: null })).toEqual({
      ok: true,
      source: 'production_alias',
      routes: [{ variant: 'v7', version: 7, weight: 100, alias: 'production' }],
      cumulativeWeights: [100],
      shadow: [],
      shadowSample: 1,
    });
  });

  it('says the model is not servable when it has neither a traffic policy nor a production alias', () => {
    const e = refusal({ aliases: { staging: 2 }, traffic: null });
    expect(e.code).toBe('not_servable');
    expect(e.message).toBe('it has no traffic policy and no "production" alias');
  });

  it('prefers the traffic policy over the production alias', () => {
    const p = plan(withPolicy({ routes: [{ version: 9, weight: 100 }] }, { production: 3 }));
    expect(p.routes.map((r) => r.version)).toEqual([9]);
  });

  it('refuses an alias route whose alias points to no version, naming it', () => {
    const e = refusal(withPolicy({ routes: [{ version: 3, weight: 50 }, { alias: 'canary', weight: 50 }] }));
    expect(e).toEqual({ ok: false, code: 'unknown_alias', message: 'route 2 of its traffic policy follows the alias "canary", which points to no version' });
  });

  it('does not resolve an alias named like an Object.prototype member', () => {
    expect(refusal(withPolicy({ routes: [{ alias: 'constructor', weight: 100 }] })).code).toBe('unknown_alias');
  });

  it('parses a field sticky key and keeps its case', () => {
    expect(plan(withPolicy({ routes: [{ version: 3, weight: 100 }], sticky: 'field:customerId' })).sticky).toEqual({ from: 'field', name: 'customerId' });
  });

  it('accepts weights with decimals that sum to 100', () => {
    const p = plan(withPolicy({ routes: [{ version: 1, weight: 33.3 }, { version: 2, weight: 33.3 }, { version: 3, weight: 33.4 }] }));
    expect(p.cumulativeWeights[2]).toBeCloseTo(100, 9);
  });

  it('keeps a weight-0 route in the plan and among the versions to load', () => {
    const p = plan(withPolicy({ routes: [{ version: 3, weight: 100 }, { version: 4, weight: 0 }] }));
    expect(p.cumulativeWeights).toEqual([100, 100]);
    expect(versionsToLoad(p)).toEqual([3, 4]);
  });

  it.each<[string, TrafficPolicy, RegExp]>([
    ['no routes', { routes: [] }, /has no routes/],
    ['weights that do not sum to 100', { routes: [{ version: 1, weight: 60 }, { version: 2, weight: 30 }] }, /sum to 90, not 100/],
    ['a negative weight', { routes: [{ version: 1, weight: 110 }, { version: 2, weight: -10 }] }, /route 2 .* weight -10/],
    ['a route with both a version and an alias', { routes: [{ version: 1, alias: 'staging', weight: 100 }] }, /exactly one of a version and an alias/],
    ['a route with neither a version nor an alias', { routes: [{ weight: 100 }] }, /exactly one of a version and an alias/],
    ['a version that is not a positive integer', { routes: [{ version: 0, weight: 100 }] }, /names 0, not a version/],
    ['two routes with the same variant name', { routes: [{ version: 1, weight: 50, name: 'a' }, { version: 2, weight: 50, name: 'a' }] }, /both named "a"/],
    ['a default name colliding with an explicit one', { routes: [{ version: 1, weight: 50 }, { version: 2, weight: 50, name: 'v1' }] }, /both named "v1"/],
    ['a sticky key of an unknown kind', { routes: [{ version: 1, weight: 100 }], sticky: 'cookie:uid' }, /sticky key "cookie:uid"/],
    ['a sticky header with an illegal name', { routes: [{ version: 1, weight: 100 }], sticky: 'header:x user' }, /sticky key/],
    ['a shadow entry that is not a version', { routes: [{ version: 1, weight: 100 }], shadow: [2.5] }, /shadow list holds 2.5/],
    ['a fallback that is not a version', { routes: [{ version: 1, weight: 100 }], fallback: -1 }, /fallback -1/],
    ['a timeout that is not positive', { routes: [{ version: 1, weight: 100 }], timeout_ms: 0 }, /timeout_ms 0/],
    ['a shadow sample above 1', { routes: [{ version: 1, weight: 100 }], shadow: [2], shadow_sample: 1.5 }, /shadow_sample 1.5/],
  ])('refuses a policy with %s', (_what, policy, message) => {
    const e = refusal(withPolicy(policy));
    expect(e.code).toBe('invalid_policy');
    expect(e.message).toMatch(message);
  });

  it('treats null optional fields, as JSON may store them, as absent', () => {
    const stored = JSON.parse('{"routes":[{"version":3,"weight":100,"name":null}],"sticky":null,"shadow":null,"fallback":null,"timeout_ms":null}');
    const p = plan(withPolicy(stored));
    expect(p).toEqual({ ok: true, source: 'traffic_policy', routes: [{ variant: 'v3', version: 3, weight: 100 }], cumulativeWeights: [100], shadow: [], shadowSample: 1 });
  });

  it('returns a frozen plan, so no request handler can change what every other request sees', () => {
    const p = plan(withPolicy({ routes: [{ version: 3, weight: 100 }], shadow: [4] }));
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.routes)).toBe(true);
    expect(Object.isFrozen(p.routes[0])).toBe(true);
    expect(Object.isFrozen(p.shadow)).toBe(true);
  });
});

describe('versionsToLoad', () => {
  it('lists every distinct routed, shadowed and fallback version once, in that order', () => {
    const p = plan(
      withPolicy({
        routes: [
          { version: 3, weight: 50 },
          { alias: 'production', weight: 25, name: 'prod' },
          { alias: 'staging', weight: 25 },
        ],
        shadow: [5, 4, 5],
        fallback: 2,
      }),
    );
    expect(p.shadow).toEqual([5, 4]);
    expect(versionsToLoad(p)).toEqual([3, 4, 5, 2]);
  });

  it('lists only the production version when serving by alias', () => {
    expect(versionsToLoad(plan({ aliases: { production: 6 }, traffic: null }))).toEqual([6]);
  });
});

describe('answeringVersions', () => {
  it('lists the routes that can be picked and the fallback, not a weight-0 route or a shadow', () => {
    const p = plan(
      withPolicy({
        routes: [
          { version: 3, weight: 100 },
          { version: 4, weight: 0 },
        ],
        shadow: [5],
        fallback: 2,
      }),
    );
    expect(answeringVersions(p)).toEqual([3, 2]);
  });
});

describe('parseSticky', () => {
  it('lower-cases header names and trims around the colon', () => {
    expect(parseSticky(' Header : X-Session ')).toEqual({ from: 'header', name: 'x-session' });
  });

  it('rejects an empty name or a missing kind', () => {
    expect(parseSticky('header:')).toBeUndefined();
    expect(parseSticky('x-user-id')).toBeUndefined();
  });

  it('keeps colons inside a field name', () => {
    expect(parseSticky('field:a:b')).toEqual({ from: 'field', name: 'a:b' });
  });
});
