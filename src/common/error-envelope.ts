import { HttpException } from '@nestjs/common';
import { AppError, type ErrorKind } from './errors.js';

export interface RenderedError {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
  headers: Record<string, string>;
}

/** The one place an error's kind becomes an HTTP status (for `/v1`, the API and V2 alike). */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  overloaded: 503,
  model_failure: 503,
  deadline: 504,
};

/** The HTTP status a domain error answers with. */
export function statusOf(err: AppError): number {
  return STATUS_OF_KIND[err.kind];
}

const fastifyCodes: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_FILES_LIMIT: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_PARTS_LIMIT: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_FIELDS_LIMIT: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
  FST_PROTO_VIOLATION: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_VALIDATION: { status: 400, code: 'VALIDATION_FAILED' },
  FST_MP_PREMATURE_CLOSE: { status: 400, code: 'MALFORMED_MULTIPART' },
  FST_INVALID_JSON_FIELD_ERROR: { status: 400, code: 'MALFORMED_MULTIPART' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_REQUEST' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'URI_TOO_LONG' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'BAD_REQUEST' },
};

const statusCodes: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

// Connection-level failures of PostgreSQL (SQLSTATE classes 08 and 57P) and
// of the socket beneath it: the database is away, not the request wrong.
const DATABASE_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const DATABASE_DOWN_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/;

function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: string; message?: string; driverError?: unknown } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.code && DATABASE_DOWN_CODES.has(e.code)) return true;
  if (e.message && DATABASE_DOWN_MESSAGES.test(e.message)) return true;
  return e.driverError !== undefined && isDatabaseDown(e.driverError);
}

// Values PostgreSQL refused for what they hold, not for what we did: a NUL
// byte in text (22021), NUL or a lone surrogate in jsonb (22P05), a number
// out of its column's range (22003), a malformed literal (22P02). The checks
// where input enters (parseWith) catch these first; this is the last line.
const BAD_VALUE_CODES: Record<string, string> = {
  '22021': 'a text value holds a NUL character or invalid Unicode',
  '22P05': 'a JSON value holds a NUL character or a lone UTF-16 surrogate',
  '22003': 'a number is out of range (integers must be at most 2147483647)',
  '22P02': 'a value is not in the form its field takes',
};

// busboy (under @fastify/multipart) throws plain Errors for a body that is
// not the multipart it claims: no boundary, a bad one, or a truncated body.
const MALFORMED_MULTIPART = /^(Multipart: Boundary not found|Boundary required|Unexpected end of (multipart data|form)|.* terminated early due to unexpected end of multipart data|Malformed part header|The needle cannot)/;

function badValue(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } } | undefined;
  if (!e || typeof e !== 'object') return undefined;
  return BAD_VALUE_CODES[e.code ?? ''] ?? BAD_VALUE_CODES[e.driverError?.code ?? ''];
}

/** One mapping from anything thrown to the error envelope's parts. */
export function renderError(err: unknown): RenderedError {
  const bad = badValue(err);
  if (bad) return { status: 400, code: 'VALIDATION_FAILED', message: bad, details: { field: 'unknown' }, headers: {} };
  if (err instanceof Error && !(err instanceof AppError) && MALFORMED_MULTIPART.test(err.message)) {
    return { status: 400, code: 'MALFORMED_MULTIPART', message: `malformed multipart body: ${err.message}`, details: {}, headers: {} };
  }
  if (isDatabaseDown(err)) {
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'the database is unreachable; loaded versions keep serving, registry changes wait until it is back',
      details: {},
      headers: { 'retry-after': '5' },
    };
  }
  if (err instanceof AppError) {
    return { status: statusOf(err), code: err.code, message: err.message, details: err.details, headers: err.headers };
  }
  if (err instanceof HttpException && err.cause && (err.cause as { code?: string }).code) {
    // Nest wraps Fastify's own errors (body too large, bad JSON) in an HttpException.
    const inner = renderError(err.cause);
    if (inner.status < 500) return inner;
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const body = err.getResponse();
    const message =
      typeof body === 'string' ? body : Array.isArray((body as any)?.message) ? (body as any).message.join('; ') : err.message;
    return { status, code: statusCodes[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message, details: {}, headers: {} };
  }
  const e = err as { code?: string; statusCode?: number; message?: string } | undefined;
  const known = e?.code ? fastifyCodes[e.code] : undefined;
  if (known) return { ...known, message: e?.message ?? known.code, details: {}, headers: {} };
  if (e instanceof SyntaxError) {
    return { status: 400, code: 'MALFORMED_JSON', message: `malformed JSON: ${e.message}`, details: {}, headers: {} };
  }
  const status = e?.statusCode;
  if (status && status >= 400 && status < 500) {
    return { status, code: statusCodes[status] ?? 'BAD_REQUEST', message: e?.message ?? 'bad request', details: {}, headers: {} };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error', details: {}, headers: {} };
}

export function envelope(r: RenderedError) {
  return { error: { code: r.code, message: r.message, details: r.details } };
}

/** The Open Inference Protocol's error shape, with our stable code beside it. */
export function v2Envelope(r: RenderedError) {
  return { error: r.message, code: r.code };
}
