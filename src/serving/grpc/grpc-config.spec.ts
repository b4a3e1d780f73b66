import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.schema.js';

describe('gRPC configuration', () => {
  it('serves on 8081 by default, on a free port with 0, and not at all with -1 or MODELGATE_GRPC_ENABLED=false', () => {
    expect(loadConfig({}).grpc).toEqual({ enabled: true, port: 8081 });
    expect(loadConfig({ GRPC_PORT: '0' }).grpc).toEqual({ enabled: true, port: 0 });
    expect(loadConfig({ GRPC_PORT: '-1' }).grpc.enabled).toBe(false);
    expect(loadConfig({ MODELGATE_GRPC_ENABLED: 'false' }).grpc.enabled).toBe(false);
    expect(() => loadConfig({ GRPC_PORT: '70000' })).toThrow(/GRPC_PORT/);
  });
});
