import { AppError, NotFound } from '../common/errors.js';

export class KeyNotFound extends NotFound {
  constructor(id: string) {
    super('KEY_NOT_FOUND', `API key "${id}" does not exist`, { key_id: id });
  }
}

export type RateBudget = 'predict' | 'registry_write' | 'auth_failures';

export class RateLimited extends AppError {
  constructor(budget: RateBudget, retryAfterS: number) {
    super(429, 'RATE_LIMITED', `rate limit reached (${budget.replace('_', ' ')}); retry in ${retryAfterS} s`, { budget, retry_after_s: retryAfterS }, {
      'retry-after': String(retryAfterS),
    });
  }
}
