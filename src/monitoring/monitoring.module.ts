import { Module } from '@nestjs/common';
import { DriftMetrics } from '../metrics/drift-metrics.js';
import { DriftChecker } from './drift/drift-checker.js';
import { DriftChecksStore } from './drift/drift-checks.store.js';
import { DriftController } from './drift/drift.controller.js';
import { DriftGauges } from './drift/drift-gauges.js';
import { DriftService } from './drift/drift.service.js';
import { LiveSketches } from './live/live-sketches.js';
import { VersionBaselines } from './live/version-baselines.js';
import { WindowSketchStore } from './live/window-sketch.store.js';
import { PredictionRecorder } from './telemetry/prediction-recorder.js';

/**
 * Monitoring: prediction telemetry, live sketches and the elected drift
 * checks; feedback and performance join it here. Serving imports it for
 * the recorder and the live sketches.
 */
@Module({
  controllers: [DriftController],
  providers: [
    PredictionRecorder,
    // drift: live sketches on the prediction path, their flush, the elected check, the API and gauges
    LiveSketches,
    WindowSketchStore,
    VersionBaselines,
    DriftChecksStore,
    DriftChecker,
    DriftService,
    DriftGauges,
    DriftMetrics,
  ],
  exports: [PredictionRecorder, LiveSketches, DriftChecker, DriftChecksStore],
})
export class MonitoringModule {}
