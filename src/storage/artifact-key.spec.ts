import { describe, expect, it } from 'vitest';
import { assertArtifactKey } from './artifact-key.js';
import { InvalidArtifactKey } from './storage.errors.js';

describe('assertArtifactKey', () => {
  it.each(['models/credit/01J9ZK.onnx', 'a', 'models/x.y_z-1/v.onnx', 'models/ünïcode/ok.onnx'])('accepts the ordinary key %j', (key) => {
    expect(() => assertArtifactKey(key)).not.toThrow();
  });

  it.each([
    ['', 'empty'],
    ['../etc/passwd', '".." path segment'],
    ['models/../../x', '".." path segment'],
    ['models/./x', '"." path segment'],
    ['/etc/passwd', 'absolute'],
    ['models//x', 'empty path segment'],
    ['models/', 'empty path segment'],
    ['models\\..\\x', 'backslash'],
    ['models/x\u0000.onnx', 'control character'],
    ['models/x\n.onnx', 'control character'],
    [`models/${'a'.repeat(256)}`, 'longer than 255'],
    ['a/'.repeat(600), 'longer than 1024'],
  ])('refuses %j because it is %s', (key, reason) => {
    let err: unknown;
    try {
      assertArtifactKey(key);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArtifactKey);
    expect((err as InvalidArtifactKey).code).toBe('INVALID_ARTIFACT_KEY');
    expect((err as InvalidArtifactKey).message).toContain(reason);
  });
});
