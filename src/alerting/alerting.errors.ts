import { Conflict, NotFound } from '../common/errors.js';

export class AlertNotFound extends NotFound {
  constructor(id: string) {
    super('ALERT_NOT_FOUND', `no alert "${id}"`, { id });
  }
}
export class AlertNotFiring extends Conflict {
  constructor(id: string) {
    super('ALERT_NOT_FIRING', `alert "${id}" is resolved; only a firing alert can be acknowledged`, { id });
  }
}
export class SilenceNotFound extends NotFound {
  constructor(id: string) {
    super('SILENCE_NOT_FOUND', `no silence "${id}"`, { id });
  }
}
export class ReceiverNotFound extends NotFound {
  constructor(id: string) {
    super('RECEIVER_NOT_FOUND', `no receiver "${id}"`, { id });
  }
}
export class ReceiverReadOnly extends Conflict {
  constructor(id: string) {
    super('RECEIVER_READ_ONLY', `receiver "${id}" comes from MODELGATE_RECEIVERS and cannot be changed through the API`, { id });
  }
}
export class ReceiverTestUnsupported extends Conflict {
  constructor(id: string, type: string) {
    super('RECEIVER_TEST_UNSUPPORTED', `receiver "${id}" is ${type}: only a webhook receiver takes a test event`, { id, type });
  }
}
