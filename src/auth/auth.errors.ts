import { NotFound } from '../common/errors.js';

export class KeyNotFound extends NotFound {
  constructor(id: string) {
    super('KEY_NOT_FOUND', `API key "${id}" does not exist`, { key_id: id });
  }
}
