import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { APP_LOGGER } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { DatabaseConnection } from './database.connection.js';

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DatabaseConnection) private readonly connection: DatabaseConnection) {}
  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DatabaseConnection,
      useFactory: (config: AppConfig, logger: Logger) => DatabaseConnection.open(config, logger),
      inject: [APP_CONFIG, APP_LOGGER],
    },
    { provide: DataSource, useFactory: (c: DatabaseConnection) => c.dataSource, inject: [DatabaseConnection] },
    DatabaseLifecycle,
  ],
  exports: [DatabaseConnection, DataSource],
})
export class DatabaseModule {}
