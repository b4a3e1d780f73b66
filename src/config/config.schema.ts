import path from 'node:path';
import { z } from 'zod';
import { proxyEntryError } from '../common/client-address.js';

/**
 * Every environment variable Modelgate reads, with its default. This is the
 * one place `process.env` is interpreted; the README's configuration table is
 * checked against `CONFIG_VARIABLES` by a test.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);

export const envSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MODELGATE_DATA_DIR: z.string().min(1).default('./.modelgate'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_PREFIX: z.string().default(''),
  S3_CREATE_BUCKET: bool.default(false),
  MODELGATE_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  MODELGATE_MAX_UPLOAD_BYTES: int(1024).default(512 * 1024 * 1024),
  MODELGATE_MAX_BASELINE_BYTES: int(1024).default(256 * 1024 * 1024),
  MODELGATE_MAX_BODY_BYTES: int(1024).default(10 * 1024 * 1024),
  MODELGATE_MAX_REQUEST_ROWS: int(1).default(10_000),
  /** Deprecated alias of MODELGATE_MAX_REQUEST_ROWS, read for one release. */
  MODELGATE_MAX_BATCH_ROWS: int(1).optional(),
  MODELGATE_BASELINE_SAMPLE_SIZE: int(100, 1_000_000).default(5_000),
  MODELGATE_KEY_CACHE_TTL_MS: int(0).default(5_000),
  MODELGATE_BATCH_MAX_SIZE: int(0, 100_000).default(64),
  MODELGATE_BATCH_MAX_WAIT_MS: num(0, 1_000).default(0),
  MODELGATE_MAX_LOADED_VERSIONS: int(1).default(16),
  MODELGATE_MAX_CONCURRENT_LOADS: int(1, 64).default(2),
  MODELGATE_MIN_RESIDENCY_MS: int(0).default(60_000),
  MODELGATE_BATCH_QUEUE_ROWS: int(1).default(20_000),
  MODELGATE_MAX_IN_FLIGHT: int(0).default(256),
  MODELGATE_HTTP_FAST_PATH: bool.default(true),
  MODELGATE_MAX_EVENT_LOOP_DELAY_MS: int(0, 60_000).default(0),
  MODELGATE_DEFAULT_TIMEOUT_MS: int(1).default(1_000),
  MODELGATE_ORT_INTRA_OP_THREADS: int(0, 256).default(1),
  MODELGATE_INFERENCE_THREADS: int(0, 64).default(0),
  MODELGATE_RECONCILE_MS: int(100).default(10_000),
  MODELGATE_CIRCUIT_FAILURES: int(1).default(5),
  MODELGATE_CIRCUIT_COOLDOWN_MS: int(0).default(10_000),
  MODELGATE_TELEMETRY_QUEUE_SIZE: int(0).default(100_000),
  MODELGATE_TELEMETRY_FLUSH_MS: int(10).default(1_000),
  MODELGATE_TELEMETRY_BATCH_SIZE: int(1).default(2_000),
  MODELGATE_INPUT_SAMPLE_RATE: num(0, 1).default(0.01),
  MODELGATE_UPLOAD_ORPHAN_AFTER_MS: int(0).default(60 * 60 * 1000),
  MODELGATE_APPROVAL_TTL_S: int(1).default(86_400),
  MODELGATE_LEADER_POLL_MS: int(50).default(2_000),
  MODELGATE_PREDICTION_RETENTION_DAYS: int(1, 3650).default(30),
  MODELGATE_MONITOR_FLUSH_MS: int(10).default(10_000),
  MODELGATE_QUERY_TIMEOUT_MS: int(1).default(20_000),
  MODELGATE_MONITOR_SKETCHES: bool.default(true),
  /** The online feature store: `postgres` (the service's own database) or a `redis://` URL. */
  MODELGATE_FEATURE_STORE: z
    .string()
    .default('postgres')
    .refine((v) => v === 'postgres' || /^rediss?:\/\/[^\s]+$/.test(v), 'must be "postgres" or a redis:// URL'),
  MODELGATE_ROLLOUT_TICK_MS: int(50).default(5_000),
  MODELGATE_PREDICTION_LOG: z
    .string()
    .default('postgres')
    .refine((v) => v === 'postgres' || v.split(',').every((s) => /^nats:\/\/[^/\s]+\/?$/.test(s.trim())), {
      message: 'must be "postgres" or nats://host:port (several comma-separated)',
    }),
  MODELGATE_CBPE_MAX_ECE: num(0, 1).default(0.05),
  GRPC_PORT: int(-1, 65535).default(8081),
  MODELGATE_GRPC_ENABLED: bool.default(true),
  MODELGATE_ALERTS_SOURCE: z.enum(['modelgate', 'prometheus']).default('modelgate'),
  MODELGATE_RECEIVERS: z
    .string()
    .default('[]')
    .transform((v, ctx) => {
      try {
        const parsed: unknown = JSON.parse(v);
        if (Array.isArray(parsed)) return parsed as unknown[];
      } catch {
        /* reported below */
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of receivers' });
      return z.NEVER;
    }),
  MODELGATE_PUBLIC_URL: z.url().optional(),
  MODELGATE_ALERT_EVAL_MS: int(50).default(10_000),
  MODELGATE_ALERTMANAGER_RESEND_MS: int(50).default(60_000),
  MODELGATE_WEBHOOK_RENOTIFY_MS: int(0).default(4 * 60 * 60 * 1000),
  MODELGATE_OUTBOX_POLL_MS: int(10).default(1_000),
  MODELGATE_OUTBOX_BACKOFF_MS: int(1).default(1_000),
  MODELGATE_OUTBOX_BACKOFF_MAX_MS: int(1).default(5 * 60 * 1000),
  MODELGATE_OUTBOX_GIVE_UP_MS: int(0).default(24 * 60 * 60 * 1000),
  MODELGATE_MIGRATE_ON_START: bool.default(true),
  MODELGATE_WORKERS: int(1, 64).default(1),
  MODELGATE_SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  MODELGATE_RATE_LIMIT_PREDICT_PER_S: num(0, 1e9).default(0),
  MODELGATE_RATE_LIMIT_PREDICT_BURST: int(1).default(1_000),
  MODELGATE_RATE_LIMIT_WRITE_PER_S: num(0, 1e9).default(20),
  MODELGATE_RATE_LIMIT_WRITE_BURST: int(1).default(200),
  MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S: num(0, 1e9).default(10),
  MODELGATE_RATE_LIMIT_AUTH_FAILURES_BURST: int(1).default(100),
  MODELGATE_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const entries = v.split(',').map((e) => e.trim()).filter(Boolean);
      for (const e of entries) {
        const invalid = proxyEntryError(e);
        if (invalid) ctx.addIssue({ code: 'custom', message: invalid });
      }
      return entries;
    }),
});

export type Env = z.infer<typeof envSchema>;
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as (keyof Env)[];

/** A token bucket per key id (predict, registry writes) or client address (failed authentications); `perSecond` 0 turns it off. */
export interface RateLimitsConfig {
  predict: { perSecond: number; burst: number };
  registryWrite: { perSecond: number; burst: number };
  authFailures: { perSecond: number; burst: number };
}

export type PredictionLogConfig = { kind: 'postgres' } | { kind: 'nats'; servers: string[] };

export interface AppConfig {
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  database: { url?: string; poolSize: number; embeddedDir: string; leaderPollMs: number; migrateOnStart: boolean };
  /** How long a SIGTERM may take before the process exits anyway (the chart's grace period is longer). */
  shutdownTimeoutMs: number;
  /** Serving processes sharing the HTTP and gRPC ports (node:cluster); 1 = this process serves. */
  workers: number;
  storage:
    | { kind: 's3'; bucket: string; endpoint?: string; region: string; forcePathStyle: boolean; prefix: string; createBucket: boolean }
    | { kind: 'file'; dir: string };
  auth: {
    adminToken?: string;
    adminKeyFile: string;
    keyCacheTtlMs: number;
    rateLimits: RateLimitsConfig;
    /** Peers whose `X-Forwarded-For` names the client (addresses, CIDRs); empty: none. */
    trustedProxies: readonly string[];
  };
  limits: { maxUploadBytes: number; maxBaselineBytes: number; maxBodyBytes: number; maxRequestRows: number };
  /** `approvalTtlS`: how long an approval request stays pending before it expires. */
  registry: { baselineSampleSize: number; uploadOrphanAfterMs: number; scratchDir: string; approvalTtlS: number };
  serving: {
    batchMaxSize: number;
    batchMaxWaitMs: number;
    maxLoadedVersions: number;
    /** Loads in flight at once; past it an on-demand call answers LOADING without starting one. */
    maxConcurrentLoads: number;
    /** A version loaded on demand is not evicted before this. */
    minResidencyMs: number;
    /** Rows waiting in one version's micro-batcher queue; past it a request is shed with OVERLOADED. */
    batchQueueRows: number;
    /** Edge admission of prediction routes (0 turns a signal off); past either, 503 OVERLOADED before the body is read. */
    admission: { maxInFlight: number; maxEventLoopDelayMs: number };
    /** The `/v1` predict routes' common case answered below Fastify (src/serving/fast-lane.ts). */
    httpFastPath: boolean;
    /** Deadline of pinned and alias calls (routed calls use their policy's timeout_ms). */
    defaultTimeoutMs: number;
    intraOpThreads: number;
    /** Worker threads that run onnxruntime beside the event loop; 0: on the event loop thread. */
    inferenceThreads: number;
    cacheDir: string;
    reconcileMs: number;
    circuitFailures: number;
    circuitCooldownMs: number;
  };
  /** The Open Inference Protocol over gRPC. */
  grpc: { enabled: boolean; port: number };
  telemetry: {
    queueSize: number;
    flushMs: number;
    batchSize: number;
    inputSampleRate: number;
    retentionDays: number;
    /** Where full prediction payloads go: the `predictions` table, or a NATS JetStream stream (PostgreSQL then keeps slim scores only). */
    log: PredictionLogConfig;
  };
  /** Deprecated variables that were set, as warnings to log once at start. */
  deprecations: string[];
  /** Live sketches: flushed every `flushMs`; a window is checked two flush periods after it ends. */
  monitoring: { flushMs: number; sketches: boolean; /** CBPE estimates need the baseline's expected calibration error at most this. */ cbpeMaxEce: number; /** Statement timeout of monitoring reads (performance): past it the answer is 503 QUERY_TIMEOUT. */ queryTimeoutMs: number };
  /** One online feature store per deployment. */
  features: { store: 'postgres' } | { store: 'redis'; url: string };
  /** Rollouts: how often the elected driver judges windows and moves steps. */
  rollouts: { tickMs: number };
  alerting: {
    source: 'modelgate' | 'prometheus';
    /** Raw receiver objects from MODELGATE_RECEIVERS; the alerting module validates each. */
    envReceivers: unknown[];
    publicUrl: string;
    evalMs: number;
    alertmanagerResendMs: number;
    webhookRenotifyMs: number;
    outboxPollMs: number;
    backoffMs: number;
    backoffMaxMs: number;
    giveUpMs: number;
  };
}

/** Variables still read under an old name for one release: old name -> new name. */
export const DEPRECATED_VARIABLES: Readonly<Record<string, string>> = { MODELGATE_MAX_BATCH_ROWS: 'MODELGATE_MAX_REQUEST_ROWS' };

/** The deprecated variables set in `env`, each with a message to log at start. */
export function deprecationWarnings(env: Record<string, string | undefined> = process.env): string[] {
  return Object.entries(DEPRECATED_VARIABLES)
    .filter(([old]) => env[old] !== undefined && env[old] !== '')
    .map(([old, now]) => `${old} is deprecated and will be removed in the next release; set ${now} instead${env[now] ? ` (${now} is set and wins)` : ''}`);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Parses the environment once; an invalid value names its variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const present = Object.fromEntries(
    CONFIG_VARIABLES.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.MODELGATE_ADMIN_TOKEN) {
    // Replicas on a shared database cannot each mint their own admin key.
    throw new ConfigError(['MODELGATE_ADMIN_TOKEN: required when DATABASE_URL is set']);
  }
  if (e.MODELGATE_WORKERS > 1 && !e.DATABASE_URL) {
    // Each worker would start its own embedded PostgreSQL on one data directory.
    throw new ConfigError(['MODELGATE_WORKERS: above 1 needs DATABASE_URL (workers cannot share the embedded PostgreSQL)']);
  }
  const dataDir = path.resolve(e.MODELGATE_DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    dataDir,
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      embeddedDir: path.join(dataDir, 'postgres'),
      leaderPollMs: e.MODELGATE_LEADER_POLL_MS,
      migrateOnStart: e.MODELGATE_MIGRATE_ON_START,
    },
    shutdownTimeoutMs: e.MODELGATE_SHUTDOWN_TIMEOUT_MS,
    workers: e.MODELGATE_WORKERS,
    storage: e.S3_BUCKET
      ? {
          kind: 's3',
          bucket: e.S3_BUCKET,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
          prefix: e.S3_PREFIX,
          createBucket: e.S3_CREATE_BUCKET,
        }
      : { kind: 'file', dir: path.join(dataDir, 'artifacts') },
    auth: {
      adminToken: e.MODELGATE_ADMIN_TOKEN,
      adminKeyFile: path.join(dataDir, 'admin.key'),
      keyCacheTtlMs: e.MODELGATE_KEY_CACHE_TTL_MS,
      rateLimits: {
        predict: { perSecond: e.MODELGATE_RATE_LIMIT_PREDICT_PER_S, burst: e.MODELGATE_RATE_LIMIT_PREDICT_BURST },
        registryWrite: { perSecond: e.MODELGATE_RATE_LIMIT_WRITE_PER_S, burst: e.MODELGATE_RATE_LIMIT_WRITE_BURST },
        authFailures: { perSecond: e.MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S, burst: e.MODELGATE_RATE_LIMIT_AUTH_FAILURES_BURST },
      },
      trustedProxies: e.MODELGATE_TRUSTED_PROXIES,
    },
    limits: {
      maxUploadBytes: e.MODELGATE_MAX_UPLOAD_BYTES,
      maxBaselineBytes: e.MODELGATE_MAX_BASELINE_BYTES,
      maxBodyBytes: e.MODELGATE_MAX_BODY_BYTES,
      maxRequestRows: present.MODELGATE_MAX_REQUEST_ROWS !== undefined ? e.MODELGATE_MAX_REQUEST_ROWS : (e.MODELGATE_MAX_BATCH_ROWS ?? e.MODELGATE_MAX_REQUEST_ROWS),
    },
    registry: {
      baselineSampleSize: e.MODELGATE_BASELINE_SAMPLE_SIZE,
      uploadOrphanAfterMs: e.MODELGATE_UPLOAD_ORPHAN_AFTER_MS,
      approvalTtlS: e.MODELGATE_APPROVAL_TTL_S,
      scratchDir: path.join(dataDir, 'scratch'),
    },
    serving: {
      batchMaxSize: e.MODELGATE_BATCH_MAX_SIZE,
      batchMaxWaitMs: e.MODELGATE_BATCH_MAX_WAIT_MS,
      maxLoadedVersions: e.MODELGATE_MAX_LOADED_VERSIONS,
      maxConcurrentLoads: e.MODELGATE_MAX_CONCURRENT_LOADS,
      minResidencyMs: e.MODELGATE_MIN_RESIDENCY_MS,
      batchQueueRows: e.MODELGATE_BATCH_QUEUE_ROWS,
      admission: { maxInFlight: e.MODELGATE_MAX_IN_FLIGHT, maxEventLoopDelayMs: e.MODELGATE_MAX_EVENT_LOOP_DELAY_MS },
      httpFastPath: e.MODELGATE_HTTP_FAST_PATH,
      defaultTimeoutMs: e.MODELGATE_DEFAULT_TIMEOUT_MS,
      intraOpThreads: e.MODELGATE_ORT_INTRA_OP_THREADS,
      inferenceThreads: e.MODELGATE_INFERENCE_THREADS,
      cacheDir: path.join(dataDir, 'cache'),
      reconcileMs: e.MODELGATE_RECONCILE_MS,
      circuitFailures: e.MODELGATE_CIRCUIT_FAILURES,
      circuitCooldownMs: e.MODELGATE_CIRCUIT_COOLDOWN_MS,
    },
    deprecations: deprecationWarnings(env),
    // -1 turns the V2 gRPC service off like MODELGATE_GRPC_ENABLED=false; 0 picks a free port.
    grpc: { enabled: e.MODELGATE_GRPC_ENABLED && e.GRPC_PORT >= 0, port: Math.max(0, e.GRPC_PORT) },
    telemetry: {
      queueSize: e.MODELGATE_TELEMETRY_QUEUE_SIZE,
      flushMs: e.MODELGATE_TELEMETRY_FLUSH_MS,
      batchSize: e.MODELGATE_TELEMETRY_BATCH_SIZE,
      inputSampleRate: e.MODELGATE_INPUT_SAMPLE_RATE,
      retentionDays: e.MODELGATE_PREDICTION_RETENTION_DAYS,
      log:
        e.MODELGATE_PREDICTION_LOG === 'postgres'
          ? { kind: 'postgres' }
          : { kind: 'nats', servers: e.MODELGATE_PREDICTION_LOG.split(',').map((s) => s.trim().replace(/\/$/, '')) },
    },
    alerting: {
      source: e.MODELGATE_ALERTS_SOURCE,
      envReceivers: e.MODELGATE_RECEIVERS,
      publicUrl: (e.MODELGATE_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
      evalMs: e.MODELGATE_ALERT_EVAL_MS,
      alertmanagerResendMs: e.MODELGATE_ALERTMANAGER_RESEND_MS,
      webhookRenotifyMs: e.MODELGATE_WEBHOOK_RENOTIFY_MS,
      outboxPollMs: e.MODELGATE_OUTBOX_POLL_MS,
      backoffMs: e.MODELGATE_OUTBOX_BACKOFF_MS,
      backoffMaxMs: e.MODELGATE_OUTBOX_BACKOFF_MAX_MS,
      giveUpMs: e.MODELGATE_OUTBOX_GIVE_UP_MS,
    },
    monitoring: { flushMs: e.MODELGATE_MONITOR_FLUSH_MS, sketches: e.MODELGATE_MONITOR_SKETCHES, cbpeMaxEce: e.MODELGATE_CBPE_MAX_ECE, queryTimeoutMs: e.MODELGATE_QUERY_TIMEOUT_MS },
    features: e.MODELGATE_FEATURE_STORE === 'postgres' ? { store: 'postgres' as const } : { store: 'redis' as const, url: e.MODELGATE_FEATURE_STORE },
    rollouts: { tickMs: e.MODELGATE_ROLLOUT_TICK_MS },
  };
}
