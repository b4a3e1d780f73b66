import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { APP_LOGGER } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { ArtifactStore } from './artifact-store.js';
import { FileArtifactStore } from './file-artifact-store.js';
import { S3ArtifactStore } from './s3-artifact-store.js';

/** The store the configuration names: a bucket when `S3_BUCKET` is set, else a directory under the data dir. */
export async function createArtifactStore(storage: AppConfig['storage'], logger?: Logger): Promise<ArtifactStore> {
  if (storage.kind === 'file') {
    const store = new FileArtifactStore(storage.dir);
    await store.init();
    return store;
  }
  const store = new S3ArtifactStore(storage);
  try {
    const bucket = await store.ensureBucket(storage.createBucket);
    if (bucket === 'created') logger?.info({ bucket: storage.bucket, endpoint: store.endpoint }, 'created the artifact bucket (S3_CREATE_BUCKET=true)');
    if (bucket === 'unreachable') logger?.warn({ bucket: storage.bucket, endpoint: store.endpoint }, 'artifact store not reachable at start; /health/ready reports it until it answers');
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

@Injectable()
class StorageLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ArtifactStore) private readonly store: ArtifactStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** Provides `ArtifactStore` (the abstract class is the injection token) to every module. */
@Global()
@Module({
  providers: [
    {
      provide: ArtifactStore,
      useFactory: (config: AppConfig, logger?: Logger) => createArtifactStore(config.storage, logger?.child({ component: 'storage' })),
      inject: [APP_CONFIG, { token: APP_LOGGER, optional: true }],
    },
    StorageLifecycle,
  ],
  exports: [ArtifactStore],
})
export class StorageModule {}
