import { AppError, NotFound, ServiceUnavailable } from '../common/errors.js';

/** The artifact store cannot be reached or failed; the request may succeed later. */
export class ArtifactStoreUnavailable extends ServiceUnavailable {
  constructor(location: string, operation: string, reason: string, key?: string) {
    super(
      'ARTIFACT_STORE_UNAVAILABLE',
      `the artifact store (${location}) failed to ${operation}${key ? ` "${key}"` : ''}: ${reason}`,
      { operation, reason, ...(key === undefined ? {} : { key }) },
      5,
    );
  }
}

export class ArtifactNotFound extends NotFound {
  constructor(key: string) {
    super('ARTIFACT_NOT_FOUND', `artifact "${key}" does not exist in the artifact store`, { key });
  }
}

/**
 * Keys are built by Modelgate, never taken from a request, so a bad key is a
 * bug in the caller: a 500, but one that names the key instead of writing
 * outside the store.
 */
export class InvalidArtifactKey extends AppError {
  constructor(key: string, reason: string) {
    super('internal', 'INVALID_ARTIFACT_KEY', `artifact key ${JSON.stringify(key)} is refused: ${reason}`, { key, reason });
  }
}
