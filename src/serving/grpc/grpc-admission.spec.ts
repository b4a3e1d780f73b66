import { EventEmitter } from 'node:events';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EdgeAdmission } from '../edge-admission.js';
import { admittedUnary } from './grpc-admission.js';

/** A unary call as the handler sees it: its request, and `cancelled` when the caller goes away. */
function call(model = 'm') {
  return Object.assign(new EventEmitter(), { request: { model_name: model } }) as any;
}

function setup(maxInFlight: number) {
  const admission = new EdgeAdmission({ maxInFlight, maxEventLoopDelayMs: 0 });
  const shed: string[] = [];
  const pending: ((err: unknown, res?: unknown) => void)[] = [];
  const handler = admittedUnary<{ model_name: string }, unknown>({ admission, countShed: (m, r) => shed.push(`${m}:${r}`) }, (r) => r.model_name, (_c, cb) => {
    pending.push(cb as any);
  });
  const answers: unknown[][] = [];
  const send = (c = call()) => {
    handler(c, (...args: unknown[]) => answers.push(args));
    return c;
  };
  return { admission, shed, pending, answers, send };
}

describe('admittedUnary', () => {
  it('answers RESOURCE_EXHAUSTED with the OVERLOADED code past the limit, without running the handler, and counts it', () => {
    const s = setup(2);
    s.send();
    s.send();
    s.send(call('other'));
    expect(s.pending).toHaveLength(2);
    expect(s.answers).toHaveLength(1);
    const [err] = s.answers[0] as [any];
    expect(err.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(err.metadata.get('modelgate-code')).toEqual(['OVERLOADED']);
    expect(err.metadata.get('retry-after')).toEqual(['1']);
    expect(s.shed).toEqual(['other:in_flight']);
  });

  it('gives the slot back once when answered, with an error or not, and once when cancelled first', () => {
    const s = setup(3);
    s.send();
    s.send();
    const cancelled = s.send();
    expect(s.admission.current).toBe(3);
    s.pending[0](null, { ok: true });
    s.pending[1]({ code: GrpcStatus.INTERNAL });
    expect(s.admission.current).toBe(1);
    cancelled.emit('cancelled');
    expect(s.admission.current).toBe(0);
    s.pending[2](null, {});
    expect(s.admission.current).toBe(0);
    expect(s.answers.map((a) => a[0])).toEqual([null, { code: GrpcStatus.INTERNAL }, null]);
  });

  it('gives the slot back when the handler throws', () => {
    const admission = new EdgeAdmission({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    const handler = admittedUnary({ admission, countShed: () => {} }, () => 'm', () => {
      throw new Error('boom');
    });
    expect(() => handler(call(), () => {})).toThrow('boom');
    expect(admission.current).toBe(0);
  });
});
