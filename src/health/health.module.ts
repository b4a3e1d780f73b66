import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ServingModule } from '../serving/serving.module.js';
import { HealthController } from './health.controller.js';
import { ReadinessService } from './readiness.service.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ServingModule],
  controllers: [HealthController],
  providers: [ReadinessService],
})
export class HealthModule {}
