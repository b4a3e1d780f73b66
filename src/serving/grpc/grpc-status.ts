import { Metadata, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { renderError } from '../../common/error-envelope.js';
import { AppError, type ErrorKind } from '../../common/errors.js';

/**
 * The gRPC status of each error kind, straight from the kind (not through
 * its HTTP status, where overloaded, a failing model and an outage all read
 * 503). `too_large` is a message past a size limit, which gRPC itself
 * answers RESOURCE_EXHAUSTED.
 */
export const GRPC_STATUS_OF_KIND: Readonly<Record<ErrorKind, GrpcStatus>> = {
  invalid: GrpcStatus.INVALID_ARGUMENT,
  unsupported_media: GrpcStatus.INVALID_ARGUMENT,
  unprocessable: GrpcStatus.INVALID_ARGUMENT,
  too_large: GrpcStatus.RESOURCE_EXHAUSTED,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  forbidden: GrpcStatus.PERMISSION_DENIED,
  not_found: GrpcStatus.NOT_FOUND,
  conflict: GrpcStatus.FAILED_PRECONDITION,
  rate_limited: GrpcStatus.RESOURCE_EXHAUSTED,
  overloaded: GrpcStatus.RESOURCE_EXHAUSTED,
  deadline: GrpcStatus.DEADLINE_EXCEEDED,
  unavailable: GrpcStatus.UNAVAILABLE,
  model_failure: GrpcStatus.INTERNAL,
  internal: GrpcStatus.INTERNAL,
};

/**
 * Codes whose status is not their kind's: no version answered or one is
 * still loading is a wait (the model failing is one reason among outages);
 * too many rows and a missing online feature are the request's content; a
 * promotion gate is a precondition, whatever kind it is thrown as.
 */
const GRPC_STATUS_OF_CODE: Readonly<Record<string, GrpcStatus>> = {
  NO_VERSION_AVAILABLE: GrpcStatus.UNAVAILABLE,
  LOADING: GrpcStatus.UNAVAILABLE,
  TOO_MANY_ROWS: GrpcStatus.INVALID_ARGUMENT,
  FEATURE_MISSING: GrpcStatus.INVALID_ARGUMENT,
  GATE_FAILED: GrpcStatus.FAILED_PRECONDITION,
};

/** The kind of an error that is not one of ours, from the status the envelope gives it (a database outage: 503). */
function kindOfStatus(status: number): ErrorKind {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  if (status === 504) return 'deadline';
  return status < 500 ? 'invalid' : 'internal';
}

/** The gRPC status of anything a handler threw, with our stable code in the `modelgate-code` trailer. */
export function grpcStatusOf(err: unknown): Partial<StatusObject> {
  const r = renderError(err);
  const kind = err instanceof AppError && err.code === r.code ? err.kind : kindOfStatus(r.status);
  const trailer = new Metadata();
  trailer.set('modelgate-code', r.code);
  if (r.headers['retry-after']) trailer.set('retry-after', r.headers['retry-after']);
  return { code: GRPC_STATUS_OF_CODE[r.code] ?? GRPC_STATUS_OF_KIND[kind], details: r.message, metadata: trailer };
}
