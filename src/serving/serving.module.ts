import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module.js';
import { MonitoringModule } from '../monitoring/monitoring.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { ModelRuntime } from './model-runtime.js';
import { InferenceCore } from './inference-core.js';
import { RoutingTable } from './routing-table.js';
import { ServingReadiness } from './serving-readiness.js';
import { ServingSync } from './serving-sync.js';
import { ShadowRunner } from './shadow-runner.js';
import { V1Routes } from './v1-routes.js';
import { V2Routes } from './v2-routes.js';
import { GrpcHandlers } from './grpc/grpc-handlers.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { V2Extensions } from './v2/v2-extensions.js';
import { V2Metadata } from './v2/v2-metadata.js';
import { EdgeAdmissionHook } from './edge-admission.hook.js';
import { FastLaneRoutes } from './fast-lane.routes.js';

/** How models serve: runtime, routing table, micro-batching, fallback, shadow, and the /v1 and /v2 routes. */
@Module({
  imports: [RegistryModule, MonitoringModule, FeaturesModule],
  providers: [EdgeAdmissionHook, ModelRuntime, RoutingTable, ServingSync, InferenceCore, ShadowRunner, ServingReadiness, V1Routes, FastLaneRoutes, V2Metadata, V2Routes, V2Extensions, GrpcHandlers, GrpcServer],
  exports: [ServingReadiness, ModelRuntime, GrpcServer],
})
export class ServingModule {}
