import { Conflict, NotFound } from '../common/errors.js';

export class RolloutNotFound extends NotFound {
  constructor(model: string, id: number) {
    super('ROLLOUT_NOT_FOUND', `model "${model}" has no rollout ${id}`, { model, rollout: id });
  }
}
export class RolloutActive extends Conflict {
  constructor(model: string, id?: number) {
    super('ROLLOUT_ACTIVE', `model "${model}" already has a rollout in progress${id ? ` (${id})` : ''}; finish, abort or promote it first`, { model, rollout: id ?? null });
  }
}
export class TrafficSplitExists extends Conflict {
  constructor(model: string) {
    super('TRAFFIC_SPLIT_EXISTS', `model "${model}" splits its traffic already; clear the traffic policy before a rollout`, { model });
  }
}
export class NoProductionVersion extends Conflict {
  constructor(model: string) {
    super('NO_PRODUCTION_VERSION', `model "${model}" has no production alias: a rollout needs a baseline`, { model });
  }
}
export class CandidateIsBaseline extends Conflict {
  constructor(model: string, version: number) {
    super('CANDIDATE_IS_BASELINE', `version ${version} of "${model}" is what production serves already`, { model, version });
  }
}
export class RolloutNotActive extends Conflict {
  constructor(model: string, id: number, state: string, action: string) {
    super('ROLLOUT_NOT_ACTIVE', `rollout ${id} of "${model}" is ${state}: it cannot ${action}`, { model, rollout: id, state });
  }
}
