import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ADMIN_TOKEN } from './app.js';

const PROTO = path.join(import.meta.dirname, '..', '..', 'proto');

/** A client of the committed protos' inference service, decoded as KServe's and Triton's generated stubs would. */
export function inferenceClient(port: number): any {
  const def = protoLoader.loadSync([path.join(PROTO, 'grpc_predict_v2.proto')], { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  return new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

export function grpcCall<T>(client: any, method: string, request: unknown, md = adminMetadata(), options: grpc.CallOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, md, options, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))));
}

export function adminMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  return md;
}
