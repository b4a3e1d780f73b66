import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { type Metadata, type ServerUnaryCall, type sendUnaryData, type ServerWritableStream, status as GrpcStatus, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Admission } from '../../auth/admission.js';
import { grpcPeerAddress } from '../../common/client-address.js';
import type { Scope } from '../../common/http-route-table.js';
import { parseVersionParam } from '../../common/validation.js';
import { EdgeAdmissionHook } from '../edge-admission.hook.js';
import { InferenceCore } from '../inference-core.js';
import { V2Extensions } from '../v2/v2-extensions.js';
import { OipPayload, v2Answer } from '../v2/oip-payload.js';
import { V2Metadata } from '../v2/v2-metadata.js';
import { V2_EXTENSIONS } from '../v2-routes.js';
import { admittedUnary } from './grpc-admission.js';
import { type GrpcInferRequest, inferRequestFromGrpc, inferResponseToGrpc } from './grpc-codec.js';
import { grpcStatusOf } from './grpc-status.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** The health service names a probe may ask about: the whole server, or the inference service. */
export const HEALTH_SERVICES = new Set(['', 'inference.GRPCInferenceService']);
const WATCH_POLL_MS = 1000;

/** A handler, given the call and its metadata as headers (read once per call). */
type Unary<Req> = (call: ServerUnaryCall<Req, unknown>, headers: IncomingHttpHeaders) => unknown;
/** The model a request names, for the key's `models` patterns. */
type ModelOf<Req> = (request: Req) => string | undefined;

const byName = (r: { name?: string }) => r.name;
const byModelName = (r: { model_name?: string }) => r.model_name;
const noModel = () => undefined;

/**
 * Metadata as the header bag the HTTP edge reads: the first value of each
 * key, and every `x-forwarded-for` entry joined as Node joins repeated
 * HTTP headers.
 */
function headersOf(md: Metadata): IncomingHttpHeaders {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.getMap())) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  const forwarded = md.get('x-forwarded-for');
  if (forwarded.length > 1) out['x-forwarded-for'] = forwarded.map(String).join(', ');
  return out;
}

/** The protocol's empty string means "the server's choice". */
function versionOf(v: string | undefined): number | undefined {
  return v ? parseVersionParam(v) : undefined;
}

/**
 * The handlers of `inference.GRPCInferenceService` and `grpc.health.v1.Health`:
 * the same admission as every REST route (an `authorization: Bearer` or
 * `x-api-key` metadata entry, the model the call names, the peer's
 * address), the same metadata and inference core as V2 REST, and errors as
 * gRPC statuses from their kind with our stable code in the
 * `modelgate-code` trailer.
 */
@Injectable()
export class GrpcHandlers {
  private readonly watches = new Set<ServerWritableStream<unknown, unknown>>();

  constructor(
    private readonly admission: Admission,
    private readonly meta: V2Metadata,
    private readonly core: InferenceCore,
    private readonly extensions: V2Extensions,
    private readonly edge: EdgeAdmissionHook,
  ) {}

  inferenceService(): UntypedServiceImplementation {
    const open = <Req>(fn: Unary<Req>) => this.unary(null, noModel, fn);
    const guarded = <Req>(model: ModelOf<Req>, fn: Unary<Req>) => this.unary('predict', model, fn);
    return {
      ServerLive: open(() => ({ live: true })),
      ServerReady: open(() => ({ ready: this.meta.isServerReady() })),
      ServerMetadata: guarded(noModel, () => ({ name: 'modelgate', version: pkg.version, extensions: V2_EXTENSIONS })),
      ModelReady: guarded<{ name: string; version?: string }>(byName, (c) => ({ ready: this.meta.isModelReady({ name: c.request.name, version: versionOf(c.request.version) }) })),
      ModelMetadata: guarded<{ name: string; version?: string }>(byName, async (c) => {
        const m = await this.meta.metadata({ name: c.request.name, version: versionOf(c.request.version) });
        return { name: m.name, versions: m.versions, platform: m.platform, inputs: m.inputs, outputs: m.outputs };
      }),
      // The hot call takes its slot from the REST routes' edge admission: past capacity, RESOURCE_EXHAUSTED at once.
      ModelInfer: admittedUnary(this.edge, byModelName, guarded<GrpcInferRequest>(byModelName, (c, h) => this.infer(c, h))),
      // The proto's requests name no version: the routed versions are loaded and kept, or every loaded one unloaded.
      RepositoryModelLoad: this.unary<{ model_name: string }>('registry:write', byModelName, async (c) => {
        await this.extensions.loadVersions(c.request.model_name);
        return { model_name: c.request.model_name, isLoaded: true };
      }),
      RepositoryModelUnload: this.unary<{ model_name: string }>('registry:write', byModelName, async (c) => {
        await this.extensions.unloadVersions(c.request.model_name);
        return { model_name: c.request.model_name, isUnloaded: true };
      }),
    };
  }

  healthService(): UntypedServiceImplementation {
    return {
      Check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) => {
        if (!HEALTH_SERVICES.has(call.request.service)) return callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        callback(null, { status: this.servingStatus() });
      },
      // Sends the status now and again whenever it changes, until the caller goes away or the server stops.
      Watch: (call: ServerWritableStream<{ service: string }, unknown>) => {
        const known = HEALTH_SERVICES.has(call.request.service);
        let last = known ? this.servingStatus() : 'SERVICE_UNKNOWN';
        call.write({ status: last });
        if (!known) return;
        this.watches.add(call);
        const timer = setInterval(() => {
          const now = this.servingStatus();
          if (now !== last) call.write({ status: (last = now) });
        }, WATCH_POLL_MS);
        timer.unref();
        call.on('cancelled', () => {
          clearInterval(timer);
          this.watches.delete(call);
        });
        call.on('close', () => clearInterval(timer));
      },
    };
  }

  /** Ends open health watches with NOT_SERVING, so probes see the shutdown. */
  endWatches(): void {
    for (const w of this.watches) {
      w.write({ status: 'NOT_SERVING' });
      w.end();
    }
    this.watches.clear();
  }

  private servingStatus(): 'SERVING' | 'NOT_SERVING' {
    return this.meta.isServerReady() ? 'SERVING' : 'NOT_SERVING';
  }

  private async infer(call: ServerUnaryCall<GrpcInferRequest, unknown>, headers: IncomingHttpHeaders) {
    const m = call.request;
    const req = inferRequestFromGrpc(m);
    // The protocol's empty version means "the server's choice".
    const version = m.model_version || undefined;
    const target = this.core.target(m.model_name, version !== undefined ? 'version' : 'routed', { version }, headers, req.parameters);
    const payload = new OipPayload(req);
    const out = v2Answer(await this.core.infer(m.model_name, target, payload, 'grpc'), payload);
    return inferResponseToGrpc(out, m.id || undefined, (m.raw_input_contents?.length ?? 0) > 0);
  }

  /** A unary handler behind the admission of every edge: admit, then run; errors become statuses by kind. */
  private unary<Req>(scope: Scope | null, model: ModelOf<Req>, fn: Unary<Req>) {
    return (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>) => {
      const run = async () => {
        const headers = headersOf(call.metadata);
        if (scope) await this.admission.admit(headers, scope, grpcPeerAddress(call.getPeer()), model(call.request));
        return fn(call, headers);
      };
      run().then(
        (res) => callback(null, res),
        (err: unknown) => callback(grpcStatusOf(err)),
      );
    };
  }
}
