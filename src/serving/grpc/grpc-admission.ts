import { type handleUnaryCall, Metadata, type ServerUnaryCall, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import type { EdgeAdmission, EdgeShedReason } from '../edge-admission.js';
import { shedMessage } from '../edge-admission.hook.js';

/** The edge admission the REST routes use, shared so that REST and gRPC count against one limit. */
export interface SharedAdmission {
  readonly admission: EdgeAdmission;
  countShed(model: string, reason: EdgeShedReason): void;
}

/** Precomputed per reason: a shed call must cost a small part of an admitted one. */
const SHED: Record<EdgeShedReason, { code: GrpcStatus; details: string; trailer: Metadata }> = {
  in_flight: shed('in_flight'),
  event_loop_delay: shed('event_loop_delay'),
};

function shed(reason: EdgeShedReason) {
  const trailer = new Metadata();
  trailer.set('modelgate-code', 'OVERLOADED');
  trailer.set('modelgate-shed-reason', reason);
  trailer.set('retry-after', '1');
  return { code: GrpcStatus.RESOURCE_EXHAUSTED, details: shedMessage(reason), trailer };
}

/** The status a shed call gets: RESOURCE_EXHAUSTED (the OVERLOADED kind's), our code and the reason in trailers. */
export function shedStatus(reason: EdgeShedReason): Partial<StatusObject> {
  const s = SHED[reason];
  return { code: s.code, details: s.details, metadata: s.trailer.clone() };
}

/**
 * A unary handler behind edge admission, first thing on the call: past
 * capacity it answers RESOURCE_EXHAUSTED at once (before the key check and
 * the inference); an admitted call holds its slot until it is answered or
 * cancelled, whichever comes first.
 */
export function admittedUnary<Req, Res>(edge: SharedAdmission, modelOf: (r: Req) => string | undefined, handler: handleUnaryCall<Req, Res>): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    const refused = edge.admission.admit();
    if (refused !== null) {
      edge.countShed(modelOf(call.request) ?? '', refused);
      callback(shedStatus(refused));
      return;
    }
    let held = true;
    const release = () => {
      if (held) {
        held = false;
        edge.admission.release();
      }
    };
    call.once('cancelled', release);
    try {
      handler(call, (err, value, trailer, flags) => {
        release();
        callback(err, value, trailer, flags);
      });
    } catch (err) {
      release();
      throw err;
    }
  };
}
