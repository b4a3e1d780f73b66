import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { ArtifactStore } from './artifact-store.js';
import { FileArtifactStore } from './file-artifact-store.js';
import { S3ArtifactStore } from './s3-artifact-store.js';

/** The store the configuration names: a bucket when `S3_BUCKET` is set, else a directory under the data dir. */
export async function createArtifactStore(storage: AppConfig['storage']): Promise<ArtifactStore> {
  if (storage.kind === 'file') {
    const store = new FileArtifactStore(storage.dir);
    await store.init();
    return store;
  }
  return new S3ArtifactStore(storage);
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
    { provide: ArtifactStore, useFactory: (config: AppConfig) => createArtifactStore(config.storage), inject: [APP_CONFIG] },
    StorageLifecycle,
  ],
  exports: [ArtifactStore],
})
export class StorageModule {}
