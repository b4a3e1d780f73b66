import { Conflict, NotFound, ValidationFailed } from '../common/errors.js';

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
