import path from 'node:path';
import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { GrpcHandlers } from './grpc-handlers.js';
import { decodeRawInferRequest } from './infer-request-decoder.js';
import { encodeRawInferResponse, isRawInferResponse } from './infer-response-encoder.js';

/** The committed protos, beside `src/` and `dist/` alike. */
export const PROTO_DIR = path.join(import.meta.dirname, '..', '..', '..', 'proto');

/** How the protos are decoded on both sides; tests load them the same way. */
export const PROTO_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function loadProtos() {
  const def = protoLoader.loadSync([path.join(PROTO_DIR, 'grpc_predict_v2.proto'), path.join(PROTO_DIR, 'health.proto')], PROTO_OPTIONS);
  return grpc.loadPackageDefinition(def) as any;
}

/** The service definition the server registers: ModelInfer's raw tensors take the one-pass decoder and encoder. */
export function servedInferenceService(protos: any): grpc.ServiceDefinition {
  const service = protos.inference.GRPCInferenceService.service as grpc.ServiceDefinition;
  const infer = service.ModelInfer;
  const { requestDeserialize, responseSerialize } = infer;
  return {
    ...service,
    ModelInfer: {
      ...infer,
      requestDeserialize: (b: Buffer) => decodeRawInferRequest(b) ?? requestDeserialize(b),
      responseSerialize: (m: any) => (isRawInferResponse(m) ? encodeRawInferResponse(m) : responseSerialize(m)),
    },
  };
}

/**
 * The Open Inference Protocol's gRPC service on its own port
 * (`GRPC_PORT`), plus `grpc.health.v1.Health` for Kubernetes probes.
 * Started once the app has booted; stopped before the runtime unloads the
 * versions it serves: calls in flight finish, new ones are refused.
 */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: grpc.Server;
  private bound?: number;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() private readonly logger: Logger,
    private readonly handlers: GrpcHandlers,
  ) {}

  /** The port bound (the chosen one when `GRPC_PORT` is 0); undefined when disabled. */
  get port(): number | undefined {
    return this.bound;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.grpc.enabled) return;
    const protos = loadProtos();
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.config.limits.maxBodyBytes,
      'grpc.max_send_message_length': -1,
      // Channelz keeps per-call counters and traces for a debugging service we do not expose: 6% of the server's time at batch 1.
      'grpc.enable_channelz': 0,
    });
    server.addService(servedInferenceService(protos), this.handlers.inferenceService());
    server.addService(protos.grpc.health.v1.Health.service, this.handlers.healthService());
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    this.bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${this.config.grpc.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.server = server;
    this.logger.info({ port: this.bound }, 'gRPC inference service listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.handlers.endWatches();
    await new Promise<void>((resolve) => {
      // Calls in flight get until the HTTP side's grace period; then they are cut.
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 5_000);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
