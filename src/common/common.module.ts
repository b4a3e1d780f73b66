import { type DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { HttpRouteTable } from './http-route-table.js';
import type { Logger } from './logger.js';

export const APP_LOGGER = Symbol('APP_LOGGER');
export const InjectLogger = () => Inject(APP_LOGGER);

/** Process-wide pieces every module may use: the logger and the raw route table. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: CommonModule,
      providers: [{ provide: APP_LOGGER, useValue: logger }, HttpRouteTable],
      exports: [APP_LOGGER, HttpRouteTable],
    };
  }
}
