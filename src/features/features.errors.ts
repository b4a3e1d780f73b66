import { Conflict, NotFound, ServiceUnavailable, Unprocessable, ValidationFailed } from '../common/errors.js';

export class FeatureViewNotFound extends NotFound {
  constructor(name: string) {
    super('FEATURE_VIEW_NOT_FOUND', `feature view "${name}" does not exist`, { view: name });
  }
}
export class FeatureViewExists extends Conflict {
  constructor(name: string) {
    super('FEATURE_VIEW_EXISTS', `feature view "${name}" already exists`, { view: name });
  }
}
export class FeatureRowNotFound extends NotFound {
  constructor(view: string, entity: string) {
    super('FEATURE_ROW_NOT_FOUND', `feature view "${view}" holds no row for entity "${entity}"`, { view, entity });
  }
}
export class InvalidFeatureRows extends ValidationFailed {
  constructor(message: string, field: string, row?: number) {
    super(message, row === undefined ? { field } : { field, row });
  }
}
/** A looked-up feature has no usable value (absent, null or stale) and its policy is `fail`. */
export class FeatureMissing extends Unprocessable {
  constructor(feature: string, ref: string, entity: string, reason: 'missing' | 'stale', row: number) {
    super(
      'FEATURE_MISSING',
      `feature "${feature}" (${ref}) has ${reason === 'stale' ? 'only a stale value (older than the view\'s ttl_s)' : 'no value'} for entity "${entity}" (row ${row})`,
      { feature, ref, entity, reason, row },
    );
  }
}
/** The online store could not answer within the version's time budget (or its breaker is open) and a feature's policy is `fail`. */
export class FeatureStoreUnavailable extends ServiceUnavailable {
  constructor(feature: string, ref: string, store: string, reason: 'timeout' | 'error' | 'circuit_open') {
    super('FEATURE_STORE_UNAVAILABLE', `the ${store} feature store could not answer for feature "${feature}" (${ref}): ${reason.replace('_', ' ')}`, { feature, ref, store, reason }, 1);
  }
}
