/**
 * Domain errors know nothing of HTTP transport; the exception filters map
 * them once to the JSON envelope (`{"error": {code, message, details}}`) or to
 * the Open Inference Protocol's `{"error", "code"}`. `code` is stable and
 * documented in the README; `status` is the HTTP status it maps to.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export class ValidationFailed extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(400, 'VALIDATION_FAILED', message, details);
  }
}
export class MalformedJson extends AppError {
  constructor(message: string) {
    super(400, 'MALFORMED_JSON', message);
  }
}
export class PayloadTooLarge extends AppError {
  constructor(limitBytes: number, what = 'request body') {
    super(413, 'PAYLOAD_TOO_LARGE', `${what} exceeds the limit of ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
}
export class UnsupportedMediaType extends AppError {
  constructor(message: string) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', message);
  }
}
export class Unauthenticated extends AppError {
  constructor(message = 'missing or invalid API key') {
    super(401, 'UNAUTHENTICATED', message, {}, { 'www-authenticate': 'Bearer' });
  }
}
export class Forbidden extends AppError {
  constructor(scope: string) {
    super(403, 'FORBIDDEN', `this API key lacks the scope "${scope}"`, { required_scope: scope });
  }
}
export class NotFound extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(404, code, message, details);
  }
}
export class Conflict extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(409, code, message, details);
  }
}
export class Unprocessable extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(422, code, message, details);
  }
}
export class ServiceUnavailable extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, retryAfterS?: number) {
    super(503, code, message, details, retryAfterS ? { 'retry-after': String(retryAfterS) } : {});
  }
}
