import { AppError, DeadlineExceeded, ModelFailure, NotFound, Overloaded } from '../common/errors.js';

export class ModelNotServing extends NotFound {
  constructor(model: string, why: string) {
    super('MODEL_NOT_SERVING', `model "${model}" is not serving: ${why}`, { model });
  }
}

/** Neither the chosen version nor the fallback answered: the model failed (or is not loaded), not the caller. */
export class NoVersionAvailable extends ModelFailure {
  constructor(model: string, attempts: { version: number; reason: string }[]) {
    super(
      'NO_VERSION_AVAILABLE',
      `no version of "${model}" could answer: ${attempts.map((a) => `v${a.version} ${a.reason}`).join('; ')}`,
      { model, attempts },
      1,
    );
  }
}

/** A pinned call to a ready version that is not loaded: the load runs in the background, never on this request. */
export class VersionLoading extends AppError {
  constructor(model: string, version: number, why: 'started' | 'in_progress' | 'load_slots_busy' | 'memory_full', retryAfterS: number) {
    super(
      'unavailable',
      'LOADING',
      `model "${model}" version ${version} is not loaded yet (${why.replace(/_/g, ' ')}); retry in ${retryAfterS} s`,
      { model, version, reason: why },
      { 'retry-after': String(retryAfterS) },
    );
  }
}

export class QueueFull extends Overloaded {
  constructor(model: string, version: number, rows: number, queuedRows: number, maxRows: number) {
    super('OVERLOADED', `model "${model}" version ${version} cannot queue ${rows} more rows: ${queuedRows} wait, the bound is ${maxRows}; retry shortly`, {
      model,
      version,
      queued_rows: queuedRows,
      max_queued_rows: maxRows,
    });
  }
}

export class RequestDeadlineExceeded extends DeadlineExceeded {
  constructor(model: string, version: number, timeoutMs: number) {
    super('DEADLINE_EXCEEDED', `model "${model}" version ${version} did not answer within the request's deadline of ${timeoutMs} ms`, {
      model,
      version,
      timeout_ms: timeoutMs,
    });
  }
}

export class TooManyRows extends AppError {
  constructor(rows: number, max: number) {
    super('too_large', 'TOO_MANY_ROWS', `${rows} rows in one request; the per-request limit (MODELGATE_MAX_REQUEST_ROWS) is ${max}`, { rows, max_rows: max });
  }
}
