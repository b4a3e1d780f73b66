import { expect } from 'vitest';
import { AppError } from '../../src/common/errors.js';

/** The AppError `fn` threw synchronously or its Promise rejected with; fails the test when it succeeded. */
export async function failure(fn: () => unknown): Promise<AppError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a failure');
}
