import { describe, expect, it } from 'vitest';
import {
  AppError,
  Conflict,
  DeadlineExceeded,
  Forbidden,
  isCallersMistake,
  MalformedJson,
  ModelFailure,
  NotFound,
  Overloaded,
  PayloadTooLarge,
  ServiceUnavailable,
  Unauthenticated,
  Unprocessable,
  UnsupportedMediaType,
  ValidationFailed,
} from './errors.js';
import { renderError, STATUS_OF_KIND } from './error-envelope.js';

describe('error kinds and their HTTP status', () => {
  it.each([
    [new ValidationFailed('x'), 'invalid', 400],
    [new MalformedJson('x'), 'invalid', 400],
    [new Unauthenticated(), 'unauthenticated', 401],
    [new Forbidden('admin'), 'forbidden', 403],
    [new NotFound('MODEL_NOT_FOUND', 'x'), 'not_found', 404],
    [new Conflict('MODEL_EXISTS', 'x'), 'conflict', 409],
    [new PayloadTooLarge(10), 'too_large', 413],
    [new UnsupportedMediaType('x'), 'unsupported_media', 415],
    [new Unprocessable('INVALID_MODEL', 'x'), 'unprocessable', 422],
    [new ServiceUnavailable('ARTIFACT_STORE_UNAVAILABLE', 'x', {}, 5), 'unavailable', 503],
    [new Overloaded('OVERLOADED', 'x'), 'overloaded', 503],
    [new ModelFailure('NO_VERSION_AVAILABLE', 'x'), 'model_failure', 503],
    [new DeadlineExceeded('DEADLINE_EXCEEDED', 'x'), 'deadline', 504],
  ] as [AppError, string, number][])('renders %s (kind %s) with status %i, chosen only by the renderer', (err, kind, status) => {
    expect(err.kind).toBe(kind);
    expect('status' in err).toBe(false);
    const r = renderError(err);
    expect(r.status).toBe(status);
    expect(r.code).toBe(err.code);
  });

  it('maps every kind to a status', () => {
    for (const [kind, status] of Object.entries(STATUS_OF_KIND)) expect(status, kind).toBeGreaterThanOrEqual(400);
  });

  it('calls the caller mistaken for 4xx kinds only, never for a dependency, an overload or a model failure', () => {
    expect(isCallersMistake(new ValidationFailed('x'))).toBe(true);
    expect(isCallersMistake(new Unprocessable('INVALID_MODEL', 'x'))).toBe(true);
    expect(isCallersMistake(new ServiceUnavailable('AUTH_UNAVAILABLE', 'x'))).toBe(false);
    expect(isCallersMistake(new Overloaded('OVERLOADED', 'x'))).toBe(false);
    expect(isCallersMistake(new ModelFailure('NO_VERSION_AVAILABLE', 'x'))).toBe(false);
    expect(isCallersMistake(new Error('plain'))).toBe(false);
  });

  it('keeps Retry-After on shed and unavailable answers', () => {
    expect(renderError(new Overloaded('OVERLOADED', 'x')).headers).toEqual({ 'retry-after': '1' });
    expect(renderError(new ServiceUnavailable('NOT_READY', 'x', {}, 2)).headers).toEqual({ 'retry-after': '2' });
  });
});

describe('renderError, the last line for bad values and transport failures', () => {
  it.each(['22021', '22P05', '22003', '22P02'])('maps PostgreSQL %s to 400 VALIDATION_FAILED, on the error or its driverError', (code) => {
    expect(renderError(Object.assign(new Error('x'), { code }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(renderError(Object.assign(new Error('x'), { driverError: { code } }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it.each(['Multipart: Boundary not found', 'Unexpected end of multipart data', 'Part terminated early due to unexpected end of multipart data', 'The needle cannot have a length bigger than 256.'])(
    'maps busboy\'s "%s" to 400 MALFORMED_MULTIPART',
    (message) => {
      expect(renderError(new Error(message))).toMatchObject({ status: 400, code: 'MALFORMED_MULTIPART' });
    },
  );

  it("maps Fastify's router errors into the envelope's codes", () => {
    expect(renderError(Object.assign(new Error('bad'), { code: 'FST_ERR_BAD_URL' }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(renderError(Object.assign(new Error('long'), { code: 'FST_ERR_MAX_PARAM_LENGTH' }))).toMatchObject({ status: 414, code: 'URI_TOO_LONG' });
  });

  it('still answers an unknown failure as a 500 INTERNAL', () => {
    expect(renderError(new Error('something broke'))).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});
