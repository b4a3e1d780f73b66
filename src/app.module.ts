import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.schema.js';
import { CommonModule } from './common/common.module.js';
import type { Logger } from './common/logger.js';
import { DatabaseModule } from './database/database.module.js';
import { AlertingModule } from './alerting/alerting.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { FeaturesModule } from './features/features.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import { StorageModule } from './storage/storage.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { ServingModule } from './serving/serving.module.js';
import { ReleasesModule } from './releases/releases.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), CommonModule.forRoot(logger), DatabaseModule, AuthModule, AuditModule, MetricsModule, MonitoringModule, StorageModule, FeaturesModule, HealthModule, RegistryModule, ServingModule, AlertingModule, ReleasesModule],
    };
  }
}
