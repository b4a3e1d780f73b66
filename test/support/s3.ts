import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { freePort } from '../../src/common/net.js';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  directory: string;
  port: number;
  stop(): Promise<void>;
  /** Starts the same server again on the same port and directory (after stop()). */
  restart(): Promise<void>;
}

// s3rver accepts these fixed credentials; the SDK reads them from the default chain.
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

/** A real S3-compatible HTTP server on a free loopback port, with one bucket. */
export async function startS3(bucket = 'modelgate-test'): Promise<TestS3> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-s3-'));
  const port = await freePort();
  let server: S3rver | undefined;
  const start = async () => {
    server = new S3rver({ port, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
    await server.run();
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    port,
    restart: start,
    async stop() {
      await server?.close();
      server = undefined;
    },
  };
}
