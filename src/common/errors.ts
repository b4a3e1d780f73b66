/**
 * Domain errors know nothing of HTTP transport. Each carries a `kind` (whose
 * fault it is and what the caller can do about it) and a stable `code`
 * documented in the README; the envelope renderer (`error-envelope.ts`) is the
 * one place a kind becomes an HTTP status, for `/v1` and the Open Inference
 * Protocol alike.
 */
export type ErrorKind =
  /** The request is wrong: a field, the JSON, a limit of what one request may ask. */
  | 'invalid'
  | 'too_large'
  | 'unsupported_media'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  /** Well-formed but refused on its content (an upload that is not a usable model). */
  | 'unprocessable'
  /** A dependency (database, artifact store, key store) is down, or this replica is not ready yet. */
  | 'unavailable'
  /** The service sheds work it cannot take now; the caller should retry after a pause. */
  | 'overloaded'
  /** This caller (a key, or an address failing to authenticate) used up its budget; retry after a pause. */
  | 'rate_limited'
  /** A model version failed: it did not load, or did not answer. */
  | 'model_failure'
  /** The request's deadline passed before an answer. */
  | 'deadline'
  /** A bug. */
  | 'internal';

const CALLER_KINDS: ReadonlySet<ErrorKind> = new Set([
  'invalid',
  'too_large',
  'unsupported_media',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'unprocessable',
]);

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }

  /** The caller's request caused it (retrying it unchanged will not help); not the model's or the service's fault. */
  get callersMistake(): boolean {
    return CALLER_KINDS.has(this.kind);
  }
}

/** True for a domain error that is the caller's mistake (see `AppError.callersMistake`). */
export function isCallersMistake(err: unknown): boolean {
  return err instanceof AppError && err.callersMistake;
}

const retryAfter = (seconds?: number): Record<string, string> => (seconds ? { 'retry-after': String(seconds) } : {});

export class ValidationFailed extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('invalid', 'VALIDATION_FAILED', message, details);
  }
}
export class MalformedJson extends AppError {
  constructor(message: string) {
    super('invalid', 'MALFORMED_JSON', message);
  }
}
export class MalformedMultipart extends AppError {
  constructor(message: string) {
    super('invalid', 'MALFORMED_MULTIPART', message);
  }
}
export class PayloadTooLarge extends AppError {
  constructor(limitBytes: number, what = 'request body') {
    super('too_large', 'PAYLOAD_TOO_LARGE', `${what} exceeds the limit of ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
}
export class UnsupportedMediaType extends AppError {
  constructor(message: string) {
    super('unsupported_media', 'UNSUPPORTED_MEDIA_TYPE', message);
  }
}
export class Unauthenticated extends AppError {
  constructor(message = 'missing or invalid API key') {
    super('unauthenticated', 'UNAUTHENTICATED', message, {}, { 'www-authenticate': 'Bearer' });
  }
}
export class Forbidden extends AppError {
  constructor(scope: string) {
    super('forbidden', 'FORBIDDEN', `this API key lacks the scope "${scope}"`, { required_scope: scope });
  }
}
export class NotFound extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('not_found', code, message, details);
  }
}
export class Conflict extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('conflict', code, message, details);
  }
}
export class Unprocessable extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('unprocessable', code, message, details);
  }
}
/** A dependency is down or this replica is not ready: nothing the caller did. */
export class ServiceUnavailable extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, retryAfterS?: number) {
    super('unavailable', code, message, details, retryAfter(retryAfterS));
  }
}
/** Work shed because the service cannot take it now. */
export class Overloaded extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, retryAfterS = 1) {
    super('overloaded', code, message, details, retryAfter(retryAfterS));
  }
}
/** A model version failed to load or to answer. */
export class ModelFailure extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, retryAfterS?: number) {
    super('model_failure', code, message, details, retryAfter(retryAfterS));
  }
}
export class DeadlineExceeded extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('deadline', code, message, details);
  }
}
