import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'ui/src/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // onnxruntime-node is a native addon: separate processes, not worker threads.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // expect.poll's default 1 s fails a browser page whose data takes longer
    // to arrive on a loaded 2-core CI machine; a poll that passes returns at once.
    expect: { poll: { timeout: 15_000 } },
  },
});
