import { Global, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { APP_LOGGER } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { DatabaseConnection } from './database.connection.js';
import { PgListener } from './pg-listener.js';
import { LeaderElection } from './leader-election.js';
import { Metrics } from '../metrics/metrics.js';

@Injectable()
class DatabaseLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  constructor(
    @Inject(DatabaseConnection) private readonly connection: DatabaseConnection,
    @Inject(PgListener) private readonly listener: PgListener,
    @Inject(LeaderElection) private readonly election: LeaderElection,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    this.metrics.leader.set(0);
    this.election.onChange((leading) => this.metrics.leader.set(leading ? 1 : 0));
    await this.listener.start();
    await this.election.start();
  }
  /** First shutdown phase: stop listening and step down before anything closes the database. */
  async onModuleDestroy(): Promise<void> {
    await this.election.stop();
    await this.listener.stop();
  }
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
    {
      provide: PgListener,
      useFactory: (c: DatabaseConnection, logger: Logger) => new PgListener(c.url, logger.child({ component: 'notifications' })),
      inject: [DatabaseConnection, APP_LOGGER],
    },
    {
      provide: LeaderElection,
      useFactory: (c: DatabaseConnection, config: AppConfig, logger: Logger) =>
        new LeaderElection(c.url, logger.child({ component: 'leader-election' }), { pollMs: config.database.leaderPollMs }),
      inject: [DatabaseConnection, APP_CONFIG, APP_LOGGER],
    },
    DatabaseLifecycle,
  ],
  exports: [DatabaseConnection, DataSource, PgListener, LeaderElection],
})
export class DatabaseModule {}
