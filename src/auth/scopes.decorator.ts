import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Scope } from '../common/http-route-table.js';

export type { Scope } from '../common/http-route-table.js';
export const SCOPES: readonly Scope[] = ['admin', 'registry:read', 'registry:write', 'predict', 'feedback', 'monitor:read'];

export const REQUIRED_SCOPE = 'modelgate:required-scope';
export const IS_PUBLIC = 'modelgate:public';

/** The scope a route needs; `admin` passes every check. Routes without it or `@Public()` are refused. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);
/** Open without a key (health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Who made a request: the key id, written into history rows as the actor. */
export interface Actor {
  keyId: string;
  name: string;
  scopes: readonly Scope[];
}

/** The authenticated caller, set on the request by the scope guard. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<{ actor?: Actor }>();
  if (!request.actor) throw new Error('no actor on request: route is missing @RequireScope');
  return request.actor;
});

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}
