import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ANY_KEY, IS_PUBLIC, REQUIRED_SCOPE } from './scopes.decorator.js';
import type { Scope } from './scopes.js';

/**
 * The global guard of every Nest controller route: `@Public()` routes are
 * open, `@RequireScope(s)` routes need `s`, and a route with neither needs
 * `admin`, so one someone forgot to annotate is closed, not open.
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const scope = this.requiredScope(context);
    if (scope === null) return true;
    return this.admit(context, scope === ANY_KEY ? null : scope);
  }

  private admit(context: ExecutionContext, scope: Scope | null): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const actor = this.authenticator.authenticate(request.headers, scope, request.ip, (request.params as { name?: string } | undefined)?.name);
    if (actor instanceof Promise) {
      return actor.then((a) => {
        request.actor = a;
        return true;
      });
    }
    request.actor = actor;
    return true;
  }

  /** The scope a route needs, `null` when it is open, ANY_KEY for any valid key; a method's annotation wins over its class's. */
  requiredScope(context: ExecutionContext): Scope | typeof ANY_KEY | null {
    for (const target of [context.getHandler(), context.getClass()]) {
      if (this.reflector.get<boolean | undefined>(ANY_KEY, target)) return ANY_KEY;
      const scope = this.reflector.get<Scope | undefined>(REQUIRED_SCOPE, target);
      if (scope) return scope;
      if (this.reflector.get<boolean | undefined>(IS_PUBLIC, target)) return null;
    }
    return 'admin';
  }
}
