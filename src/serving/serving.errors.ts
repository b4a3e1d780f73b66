import { AppError, NotFound, ServiceUnavailable } from '../common/errors.js';

export class ModelNotServing extends NotFound {
  constructor(model: string, why: string) {
    super('MODEL_NOT_SERVING', `model "${model}" is not serving: ${why}`, { model });
  }
}

export class NoVersionAvailable extends ServiceUnavailable {
  constructor(model: string, attempts: { version: number; reason: string }[]) {
    super(
      'NO_VERSION_AVAILABLE',
      `no version of "${model}" could answer: ${attempts.map((a) => `v${a.version} ${a.reason}`).join('; ')}`,
      { model, attempts },
      1,
    );
  }
}


export class TooManyRows extends AppError {
  constructor(rows: number, max: number) {
    super(413, 'TOO_MANY_ROWS', `${rows} rows in one request; the limit is ${max}`, { rows, max_rows: max });
  }
}
