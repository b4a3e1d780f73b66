import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { RateLimited } from '../../auth/auth.errors.js';
import {
  AppError,
  Conflict,
  DeadlineExceeded,
  type ErrorKind,
  Forbidden,
  ModelFailure,
  NotFound,
  Overloaded,
  ServiceUnavailable,
  Unauthenticated,
  Unprocessable,
  ValidationFailed,
} from '../../common/errors.js';
import { NoVersionAvailable, QueueFull, TooManyRows, VersionLoading } from '../serving.errors.js';
import { GRPC_STATUS_OF_KIND, grpcStatusOf } from './grpc-status.js';

const codeOf = (err: unknown) => grpcStatusOf(err).code;

describe('gRPC status from the error kind', () => {
  it('maps every kind as the contract lists, not through the HTTP status', () => {
    expect(codeOf(new ValidationFailed('x'))).toBe(status.INVALID_ARGUMENT);
    expect(codeOf(new Unauthenticated())).toBe(status.UNAUTHENTICATED);
    expect(codeOf(new Forbidden('predict'))).toBe(status.PERMISSION_DENIED);
    expect(codeOf(new NotFound('MODEL_NOT_FOUND', 'x'))).toBe(status.NOT_FOUND);
    expect(codeOf(new Conflict('VERSION_ROUTED', 'x'))).toBe(status.FAILED_PRECONDITION);
    expect(codeOf(new RateLimited('predict', 1))).toBe(status.RESOURCE_EXHAUSTED);
    // All three read 503 over HTTP.
    expect(codeOf(new QueueFull('m', 1, 5, 10, 10))).toBe(status.RESOURCE_EXHAUSTED);
    expect(codeOf(new Overloaded('OVERLOADED', 'x'))).toBe(status.RESOURCE_EXHAUSTED);
    expect(codeOf(new ModelFailure('MODEL_FAILED', 'x'))).toBe(status.INTERNAL);
    expect(codeOf(new ServiceUnavailable('AUTH_UNAVAILABLE', 'x'))).toBe(status.UNAVAILABLE);
    expect(codeOf(new DeadlineExceeded('DEADLINE_EXCEEDED', 'x'))).toBe(status.DEADLINE_EXCEEDED);
    expect(codeOf(new AppError('internal', 'INTERNAL', 'x'))).toBe(status.INTERNAL);
  });

  it('answers UNAVAILABLE for NO_VERSION_AVAILABLE and LOADING, INVALID_ARGUMENT for TOO_MANY_ROWS and FEATURE_MISSING, FAILED_PRECONDITION for a gate', () => {
    expect(codeOf(new NoVersionAvailable('m', [{ version: 1, reason: 'failed' }]))).toBe(status.UNAVAILABLE);
    expect(codeOf(new VersionLoading('m', 1, 'started', 1))).toBe(status.UNAVAILABLE);
    expect(codeOf(new TooManyRows(20, 10))).toBe(status.INVALID_ARGUMENT);
    expect(codeOf(new Unprocessable('FEATURE_MISSING', 'x'))).toBe(status.INVALID_ARGUMENT);
    expect(codeOf(new Unprocessable('GATE_FAILED', 'x'))).toBe(status.FAILED_PRECONDITION);
  });

  it('maps errors that are not ours by what the envelope makes of them: a database outage is UNAVAILABLE, a bug INTERNAL', () => {
    expect(codeOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(status.UNAVAILABLE);
    expect(codeOf(new TypeError('undefined is not a function'))).toBe(status.INTERNAL);
    expect(codeOf(new SyntaxError('Unexpected token'))).toBe(status.INVALID_ARGUMENT);
  });

  it('has a status for every kind, and carries the stable code and Retry-After in trailers', () => {
    const kinds: ErrorKind[] = ['invalid', 'too_large', 'unsupported_media', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'unprocessable', 'unavailable', 'overloaded', 'rate_limited', 'model_failure', 'deadline', 'internal'];
    for (const k of kinds) expect(GRPC_STATUS_OF_KIND[k], k).toBeTypeOf('number');
    const s = grpcStatusOf(new QueueFull('m', 1, 5, 10, 10));
    expect(s.metadata!.get('modelgate-code')).toEqual(['OVERLOADED']);
    expect(s.metadata!.get('retry-after')).toEqual(['1']);
    expect(s.details).toMatch(/cannot queue/);
  });
});
