import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { Unauthenticated } from '../common/errors.js';
import type { Admission } from './admission.js';
import { ScopeGuard } from './scope.guard.js';
import { NamesModelInBody, Public, RequireScope } from './scopes.decorator.js';
import type { Actor, Scope } from './scopes.js';

class Unannotated {
  route() {}
  @Public() open() {}
  @RequireScope('predict') predict() {}
}

@RequireScope('registry:read')
class ReadsRegistry {
  route() {}
  @RequireScope('registry:write') write() {}
  @Public() open() {}
}

@Public()
class OpenByDefault {
  route() {}
  @RequireScope('monitor:read') closed() {}
}

class CreatesModels {
  @RequireScope('registry:write') @NamesModelInBody() create() {}
}

function context(cls: { prototype: object }, method: string, request: object = { headers: {}, socket: {} }): ExecutionContext {
  return {
    getHandler: () => (cls.prototype as Record<string, unknown>)[method],
    getClass: () => cls,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

const actor: Actor = { keyId: 'k', name: 'k', scopes: ['predict'] };

function guardWith(authenticate: (headers: unknown, scope: Scope) => Actor | Promise<Actor>) {
  const asked: Scope[] = [];
  const calls: unknown[][] = [];
  const auth = { admit: (h: unknown, s: Scope, ...rest: unknown[]) => (asked.push(s), calls.push(rest), authenticate(h, s)) } as unknown as Admission;
  return { guard: new ScopeGuard(new Reflector(), auth), asked, calls };
}

describe('ScopeGuard', () => {
  it.each([
    [Unannotated, 'route', 'admin'],
    [Unannotated, 'open', null],
    [Unannotated, 'predict', 'predict'],
    [ReadsRegistry, 'route', 'registry:read'],
    [ReadsRegistry, 'write', 'registry:write'],
    [ReadsRegistry, 'open', null],
    [OpenByDefault, 'route', null],
    [OpenByDefault, 'closed', 'monitor:read'],
  ] as const)('on %o.%s requires %s (a method annotation wins over its class, none means admin)', (cls, method, scope) => {
    const { guard } = guardWith(() => actor);
    expect(guard.requiredScope(context(cls, method))).toBe(scope);
  });

  it('lets an open route through without asking for a key', () => {
    const { guard, asked } = guardWith(() => {
      throw new Unauthenticated();
    });
    expect(guard.canActivate(context(Unannotated, 'open'))).toBe(true);
    expect(asked).toEqual([]);
  });

  it('sets the actor on the request, synchronously when the key was cached', () => {
    const request: { headers: object; socket: object; actor?: Actor } = { headers: {}, socket: {} };
    const { guard, asked } = guardWith(() => actor);
    expect(guard.canActivate(context(Unannotated, 'predict', request))).toBe(true);
    expect(request.actor).toBe(actor);
    expect(asked).toEqual(['predict']);
  });

  it('admits with the socket address and the model the route names', () => {
    const request = { headers: {}, socket: { remoteAddress: '192.0.2.7' }, params: { name: 'credit' } };
    const { guard, calls } = guardWith(() => actor);
    guard.canActivate(context(Unannotated, 'predict', request));
    expect(calls).toEqual([['192.0.2.7', 'credit']]);
  });

  it('admits a route that names its model in the body with that model, and others with none', () => {
    const { guard, calls } = guardWith(() => actor);
    guard.canActivate(context(CreatesModels, 'create', { headers: {}, socket: {}, body: { name: 'b-two' } }));
    guard.canActivate(context(CreatesModels, 'create', { headers: {}, socket: {}, body: { name: 7 } }));
    guard.canActivate(context(Unannotated, 'predict', { headers: {}, socket: {}, body: { name: 'b-two' } }));
    expect(calls.map((c) => c[1])).toEqual(['b-two', undefined, undefined]);
  });

  it('sets the actor once a key had to be loaded', async () => {
    const request: { headers: object; socket: object; actor?: Actor } = { headers: {}, socket: {} };
    const { guard } = guardWith(async () => actor);
    await expect(guard.canActivate(context(Unannotated, 'route', request))).resolves.toBe(true);
    expect(request.actor).toBe(actor);
  });

  it('lets the refusal through to the error envelope', async () => {
    const { guard } = guardWith(() => {
      throw new Unauthenticated();
    });
    expect(() => guard.canActivate(context(Unannotated, 'route'))).toThrow(Unauthenticated);
    const { guard: later } = guardWith(async () => {
      throw new Unauthenticated();
    });
    await expect(later.canActivate(context(Unannotated, 'route'))).rejects.toBeInstanceOf(Unauthenticated);
  });
});
