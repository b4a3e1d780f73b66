import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { behavesAsAFeatureStore } from '../../../test/support/feature-store-contract.js';
import { describeWithBinary } from '../../../test/support/binaries.js';
import { startRedis, type TestRedis } from '../../../test/support/redis.js';
import { RedisFeatureStore } from './redis-feature-store.js';

describeWithBinary('redis-server', 'redis-server', 'the Redis online feature store', (bin) => {
  let redis: TestRedis;
  let store: RedisFeatureStore;

  behavesAsAFeatureStore(
    'RedisFeatureStore',
    async () => {
      redis = await startRedis(bin);
      store = new RedisFeatureStore(redis.url, `test-${randomBytes(4).toString('hex')}:`);
      await store.ready();
      return { store, views: ['customer_profile', 'merchant_risk'] };
    },
    async () => {
      await store?.close();
      await redis?.stop();
    },
  );

  it('fails a look-up at once when Redis is down, instead of queueing it until Redis returns', async () => {
    const probe = await startRedis(bin);
    const s = new RedisFeatureStore(probe.url, 'down:', { commandTimeoutMs: 500 });
    await s.ready();
    await probe.stop();
    const started = Date.now();
    await expect(s.lookup('v', ['a'])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);
    await s.close();
  });
});
