import type { Readable } from 'node:stream';

/**
 * Where model artifacts live: an S3-compatible bucket, or a local directory
 * on the embedded default. Everything above this seam is the same code.
 * Keys are made by Modelgate itself (`models/<name>/<upload id>.onnx`), never
 * taken from a request; implementations still refuse keys that could escape
 * their root.
 */
export abstract class ArtifactStore {
  /** `s3://bucket/prefix` or `file:///dir`, for logs and health details. */
  abstract readonly location: string;

  /** Stores a local file under `key`, replacing any object there. */
  abstract putFile(key: string, filePath: string, meta: { sha256: string; size: number }): Promise<void>;

  /** Opens an object for streaming (artifact downloads). */
  abstract openRead(key: string): Promise<{ body: Readable; size: number }>;

  /** Copies an object to a local file; the file appears complete or not at all. */
  abstract downloadTo(key: string, filePath: string): Promise<void>;

  /** Deletes an object; deleting an absent object is not an error. */
  abstract delete(key: string): Promise<void>;

  abstract exists(key: string): Promise<boolean>;

  /** A cheap round trip proving the store answers (readiness). */
  abstract ping(): Promise<void>;

  /** Releases connections at shutdown; nothing to release by default. */
  async close(): Promise<void> {}
}
