import { ServiceUnavailable } from '../../common/errors.js';

/** A performance read ran past `MODELGATE_QUERY_TIMEOUT_MS`: the database is too busy for it now, not the caller's fault and not a bug. */
export class QueryTimeout extends ServiceUnavailable {
  constructor(timeoutMs: number) {
    super('QUERY_TIMEOUT', `the performance query ran past its ${timeoutMs} ms limit; retry, or ask for a shorter range`, { timeout_ms: timeoutMs }, 5);
  }
}
