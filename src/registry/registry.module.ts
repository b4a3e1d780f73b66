import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module.js';
import { ArtifactSweeper } from './artifact-sweeper.js';
import { EventsController } from './events/events.controller.js';
import { RegistryEvents } from './events/registry-events.js';
import { ApprovalStore } from './gates/approval-store.js';
import { ApprovalsController } from './gates/approvals.controller.js';
import { ApprovalActions, ApprovalsService } from './gates/approvals.service.js';
import { GateChecker } from './gates/gate-checker.js';
import { ReleaseGate } from './gates/release-gate.js';
import { ModelsController } from './models.controller.js';
import { ModelsService } from './models.service.js';
import { ServingStateController } from './serving-state.controller.js';
import { ServingStateEvents } from './serving-state.events.js';
import { ServingStateService } from './serving-state.service.js';
import { VersionsController } from './versions.controller.js';
import { UploadAnalyser } from './upload-analyser.js';
import { VersionsService } from './versions.service.js';

/** Models, versions, aliases, traffic policies and revisions: what should serve; with its gates, approvals and events. */
@Module({
  imports: [FeaturesModule],
  controllers: [ModelsController, VersionsController, ServingStateController, ApprovalsController, EventsController],
  providers: [
    ModelsService,
    VersionsService,
    ServingStateService,
    ServingStateEvents,
    ArtifactSweeper,
    UploadAnalyser,
    RegistryEvents,
    GateChecker,
    ApprovalStore,
    ApprovalsService,
    ApprovalActions,
    ReleaseGate,
  ],
  exports: [ServingStateService, ServingStateEvents, VersionsService, RegistryEvents, GateChecker, ApprovalStore, ApprovalActions, ReleaseGate],
})
export class RegistryModule {}
