import { Conflict, NotFound, Unprocessable, ValidationFailed } from '../common/errors.js';

export class ModelNotFound extends NotFound {
  constructor(name: string) {
    super('MODEL_NOT_FOUND', `model "${name}" does not exist`, { model: name });
  }
}
export class ModelExists extends Conflict {
  constructor(name: string) {
    super('MODEL_EXISTS', `model "${name}" already exists`, { model: name });
  }
}
export class VersionNotFound extends NotFound {
  constructor(name: string, version: number) {
    super('VERSION_NOT_FOUND', `model "${name}" has no version ${version}`, { model: name, version });
  }
}
export class AliasNotFound extends NotFound {
  constructor(name: string, alias: string) {
    super('ALIAS_NOT_FOUND', `model "${name}" has no alias "${alias}"`, { model: name, alias });
  }
}
export class RevisionNotFound extends NotFound {
  constructor(name: string, revision: number) {
    super('REVISION_NOT_FOUND', `model "${name}" has no serving revision ${revision}`, { model: name, revision });
  }
}
export class ModelInUse extends Conflict {
  constructor(name: string, details: Record<string, unknown>) {
    super('MODEL_IN_USE', `model "${name}" still has aliases or a traffic policy; remove them first`, { model: name, ...details });
  }
}
export class VersionInUse extends Conflict {
  constructor(name: string, version: number, usedBy: string[]) {
    super('VERSION_IN_USE', `version ${version} of "${name}" is in use by ${usedBy.join(', ')}`, { model: name, version, used_by: usedBy });
  }
}
export class VersionArchived extends Conflict {
  constructor(name: string, version: number) {
    super('VERSION_ARCHIVED', `version ${version} of "${name}" is archived; unarchive it first`, { model: name, version });
  }
}
export class AliasInUse extends Conflict {
  constructor(name: string, alias: string) {
    super('ALIAS_IN_USE', `alias "${alias}" of "${name}" is routed by the traffic policy`, { model: name, alias });
  }
}
export class NothingToRollBack extends Conflict {
  constructor(name: string) {
    super('NOTHING_TO_ROLL_BACK', `model "${name}" has no earlier serving revision to restore`, { model: name });
  }
}
export class InvalidTrafficPolicy extends Unprocessable {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_TRAFFIC_POLICY', message, details);
  }
}
export class FeatureMismatch extends Unprocessable {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('FEATURE_MISMATCH', message, details);
  }
}
export class InvalidUpload extends ValidationFailed {}
