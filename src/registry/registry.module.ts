import { Module } from '@nestjs/common';
import { ArtifactSweeper } from './artifact-sweeper.js';
import { ModelsController } from './models.controller.js';
import { ModelsService } from './models.service.js';
import { ServingStateController } from './serving-state.controller.js';
import { ServingStateEvents } from './serving-state.events.js';
import { ServingStateService } from './serving-state.service.js';
import { VersionsController } from './versions.controller.js';
import { UploadAnalyser } from './upload-analyser.js';
import { VersionsService } from './versions.service.js';

/** Models, versions, aliases, traffic policies and revisions: what should serve. */
@Module({
  controllers: [ModelsController, VersionsController, ServingStateController],
  providers: [ModelsService, VersionsService, ServingStateService, ServingStateEvents, ArtifactSweeper, UploadAnalyser],
  exports: [ServingStateService, ServingStateEvents, VersionsService],
})
export class RegistryModule {}
