import { AppError, Conflict, NotFound } from '../../common/errors.js';
import type { GateResult } from './promotion-gates.js';

/** 409: a guarded alias may not point at this version; `details.gates` lists each gate and its result. */
export class GateFailed extends Conflict {
  constructor(
    readonly model: string,
    readonly alias: string,
    readonly version: number,
    readonly gates: GateResult[],
  ) {
    const failed = gates.filter((g) => g.result === 'failed').map((g) => (g.metric ? `${g.gate} (${g.metric})` : g.gate));
    super('GATE_FAILED', `version ${version} of "${model}" does not pass the gates of alias "${alias}": ${failed.join(', ')}; force with a reason to move it anyway`, {
      model,
      alias,
      version,
      failed,
      gates,
    });
  }
}

export class RequestNotFound extends NotFound {
  constructor(model: string, id: string) {
    super('REQUEST_NOT_FOUND', `model "${model}" has no approval request "${id}"`, { model, id });
  }
}
export class RequestNotPending extends Conflict {
  constructor(id: string, state: string) {
    super('REQUEST_NOT_PENDING', `approval request "${id}" is ${state}, not pending`, { id, state });
  }
}
export class ServingStateMoved extends Conflict {
  constructor(id: string, requested: number, now: number) {
    super('SERVING_STATE_MOVED', `what serves changed since approval request "${id}" (revision ${requested}, now ${now}); request the move again`, {
      id,
      requested_revision: requested,
      serving_revision: now,
    });
  }
}
export class ApprovalActionUnavailable extends Conflict {
  constructor(type: string) {
    super('APPROVAL_ACTION_UNAVAILABLE', `no part of this service carries out "${type}" requests`, { type });
  }
}
/** 403: deciding a request needs the `approve` scope held by the key itself (admin does not stand in). */
export class ApproveScopeRequired extends AppError {
  constructor() {
    super('forbidden', 'APPROVE_SCOPE_REQUIRED', 'deciding an approval request needs a key that holds the "approve" scope itself (admin does not stand in)', { required_scope: 'approve' });
  }
}
/** 403: the requester (or a key minted by the same creator) cannot decide its own request. */
export class SelfApproval extends AppError {
  constructor(id: string) {
    super('forbidden', 'SELF_APPROVAL', `approval request "${id}" must be decided by a key other than the requester's, created by someone else`, { id });
  }
}
