import { Module } from '@nestjs/common';
import { MonitoringModule } from '../monitoring/monitoring.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { ReleaseHooks } from './release-hooks.js';
import { RolloutDriver } from './rollout-driver.js';
import { RolloutJudge } from './rollout-judge.js';
import { RolloutMetrics } from './rollout-metrics.js';
import { RolloutTransitions } from './rollout-transitions.js';
import { RolloutsController } from './rollouts.controller.js';
import { RolloutsService } from './rollouts.service.js';
import { RolloutsStore } from './rollouts.store.js';

/**
 * Releases: progressive rollouts judged on the monitor's figures, driven by
 * the elected leader, moving traffic through ordinary serving revisions.
 */
@Module({
  imports: [RegistryModule, MonitoringModule],
  controllers: [RolloutsController],
  providers: [RolloutsStore, RolloutTransitions, RolloutJudge, RolloutDriver, RolloutsService, RolloutMetrics, ReleaseHooks],
  exports: [ReleaseHooks],
})
export class ReleasesModule {}
