import { AppError, NotFound } from '../common/errors.js';

export class KeyNotFound extends NotFound {
  constructor(id: string) {
    super('KEY_NOT_FOUND', `API key "${id}" does not exist`, { key_id: id });
  }
}

/** A key limited to some models named another one: 403 like a missing scope, saying which model. */
export class ModelForbidden extends AppError {
  constructor(model: string) {
    super('forbidden', 'FORBIDDEN', `this API key may not use the model "${model}"`, { model });
  }
}

export type RateBudget = 'predict' | 'registry_write' | 'auth_failures';

export class RateLimited extends AppError {
  constructor(budget: RateBudget, retryAfterS: number) {
    super('rate_limited', 'RATE_LIMITED', `rate limit reached (${budget.replace('_', ' ')}); retry in ${retryAfterS} s`, { budget, retry_after_s: retryAfterS }, {
      'retry-after': String(retryAfterS),
    });
  }
}
