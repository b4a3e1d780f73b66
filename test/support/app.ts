import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { type AppConfig, loadConfig } from '../../src/config/config.schema.js';
import { createLogger, type Logger } from '../../src/common/logger.js';
import type { TestDatabase } from './database.js';
import type { TestS3 } from './s3.js';

export const ADMIN_TOKEN = 'mgk_testadmin_0123456789abcdefghijklmnopqrstuv';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** supertest bound to this instance. */
  http: ReturnType<typeof supertest>;
  /** `Authorization` header for the admin token. */
  admin: { Authorization: string };
  dataDir: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  db: TestDatabase;
  s3?: TestS3;
  env?: Record<string, string>;
  /** Wait until /health/ready answers 200 (default true). */
  waitReady?: boolean;
  /** Instead of a logger at TEST_LOG_LEVEL (default warn): e.g. one that captures lines. */
  logger?: Logger;
  /** The built console to serve at /ui (default dist/ui). */
  uiDir?: string;
}

/** Boots the real application on a real database and (optionally) s3rver. */
export async function startTestApp(opts: TestAppOptions): Promise<TestApp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-app-'));
  const config = loadConfig({
    DATABASE_URL: opts.db.url,
    MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    MODELGATE_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    DATABASE_POOL_SIZE: '5',
    // Many apps boot on one machine at once: a free gRPC port each.
    GRPC_PORT: '0',
    ...(opts.s3
      ? { S3_BUCKET: opts.s3.bucket, S3_ENDPOINT: opts.s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_REGION: 'us-east-1' }
      : {}),
    ...opts.env,
  });
  const app = await createApp(config, { logger: opts.logger ?? createLogger(config.logLevel), uiDir: opts.uiDir });
  let closed = false;
  const http = supertest(app.getHttpServer());
  if (opts.waitReady !== false) await eventually(async () => (await http.get('/health/ready')).status === 200, 60_000);
  return {
    app,
    config,
    http,
    admin: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    dataDir,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw lastErr ?? new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
