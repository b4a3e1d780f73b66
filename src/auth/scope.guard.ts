import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Admission } from './admission.js';
import { ANY_KEY, IS_PUBLIC, MODEL_IN_BODY, REQUIRED_SCOPE } from './scopes.decorator.js';
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
    private readonly admission: Admission,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const scope = this.requiredScope(context);
    if (scope === null) return true;
    return this.admit(context, scope === ANY_KEY ? null : scope);
  }

  private admit(context: ExecutionContext, scope: Scope | null): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const actor = this.admission.admit(request.headers, scope, request.socket.remoteAddress, this.modelOf(context, request));
    if (actor instanceof Promise) {
      return actor.then((a) => {
        request.actor = a;
        return true;
      });
    }
    request.actor = actor;
    return true;
  }

  /** The model a call names: the path's `:name`, or the body field a `@NamesModelInBody()` route names it in. */
  private modelOf(context: ExecutionContext, request: FastifyRequest): string | undefined {
    const fromPath = (request.params as { name?: string } | undefined)?.name;
    if (fromPath !== undefined) return fromPath;
    const field = this.reflector.get<string | undefined>(MODEL_IN_BODY, context.getHandler());
    const value = field === undefined ? undefined : (request.body as Record<string, unknown> | undefined)?.[field];
    // A field that is not a string is refused by the route's validation, before anything is written.
    return typeof value === 'string' ? value : undefined;
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
