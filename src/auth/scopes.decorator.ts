import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { Actor, Scope } from './scopes.js';

export { SCOPES, type Actor, type Scope } from './scopes.js';

export const REQUIRED_SCOPE = 'modelgate:required-scope';
export const IS_PUBLIC = 'modelgate:public';
export const MODEL_IN_BODY = 'modelgate:model-in-body';
export const ANY_KEY = 'modelgate:any-key';

/**
 * The scope a route needs; `admin` passes every check. On a class it covers
 * every route of the controller; on a method it wins over the class. Routes
 * with neither this nor `@Public()` need `admin`, so a forgotten annotation
 * closes a route rather than opening it. Also documents the route's
 * credentials and scope in the OpenAPI document (`x-required-scope`, as the
 * raw route table does).
 */
export const RequireScope = (scope: Scope) =>
  applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension('x-required-scope', scope), ApiBearerAuth('bearer'), ApiSecurity('api-key'));
/**
 * The route names its model in a body field rather than in the path
 * (`POST /api/v1/models` with `{"name": ...}`): a key limited to models is
 * checked against that field.
 */
export const NamesModelInBody = (field = 'name') => SetMetadata(MODEL_IN_BODY, field);
/** Any valid key, whatever its scopes (`GET /api/v1/keys/self`: a caller may always ask what its own key allows). */
export const RequireKey = () =>
  applyDecorators(SetMetadata(ANY_KEY, true), ApiExtension('x-required-scope', 'any valid key'), ApiBearerAuth('bearer'), ApiSecurity('api-key'));
/** Open without a key (health, metrics, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The authenticated caller, set on the request by the scope guard. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<{ actor?: Actor }>();
  if (!request.actor) throw new Error('no actor on request: a @Public() route cannot ask who called it');
  return request.actor;
});

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}
