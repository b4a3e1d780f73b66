import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { FeatureViewCatalog } from './feature-view.catalog.js';
import { FeatureViewsController } from './feature-views.controller.js';
import { FeatureViewsService } from './feature-views.service.js';
import { FeatureMetrics } from '../metrics/feature-metrics.js';
import { OnlineFeatureResolver } from './online-feature-resolver.js';
import { FeatureStore } from './stores/feature-store.js';
import { PostgresFeatureStore } from './stores/postgres-feature-store.js';
import { RedisFeatureStore } from './stores/redis-feature-store.js';

/** The store the configuration names (MODELGATE_FEATURE_STORE): one per deployment. */
export function createFeatureStore(config: AppConfig['features'], dataSource: DataSource): FeatureStore {
  return config.store === 'redis' ? new RedisFeatureStore(config.url) : new PostgresFeatureStore(dataSource);
}

@Injectable()
class FeatureStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(FeatureStore) private readonly store: FeatureStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** Online features: views, their rows, the store that holds them (the abstract class is the injection token), and the resolver that fills a batch from it. */
@Module({
  controllers: [FeatureViewsController],
  providers: [
    { provide: FeatureStore, useFactory: (config: AppConfig, ds: DataSource) => createFeatureStore(config.features, ds), inject: [APP_CONFIG, DataSource] },
    FeatureViewCatalog,
    FeatureViewsService,
    FeatureStoreLifecycle,
    FeatureMetrics,
    OnlineFeatureResolver,
  ],
  exports: [FeatureStore, FeatureViewCatalog, OnlineFeatureResolver],
})
export class FeaturesModule {}
