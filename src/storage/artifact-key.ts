import { InvalidArtifactKey } from './storage.errors.js';

// S3's own limit; local file systems allow less per segment, checked below.
const MAX_KEY_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/**
 * Checks that a key is a plain relative path of named segments, the shape
 * both stores can hold without escaping their root: no absolute paths, no
 * `.`/`..` segments, no backslashes (a separator on Windows), no empty
 * segments and no control characters. s3rver and some gateways map keys to
 * files, so the S3 store refuses the same keys as the file store.
 */
export function assertArtifactKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidArtifactKey(String(key), 'the key is empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new InvalidArtifactKey(key, `the key is longer than ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidArtifactKey(key, 'the key contains a control character');
  if (key.includes('\\')) throw new InvalidArtifactKey(key, 'the key contains a backslash');
  if (key.startsWith('/')) throw new InvalidArtifactKey(key, 'the key is an absolute path');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidArtifactKey(key, 'the key has an empty path segment');
    if (segment === '.' || segment === '..') throw new InvalidArtifactKey(key, `the key has a "${segment}" path segment`);
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new InvalidArtifactKey(key, `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
}
