import { Module } from '@nestjs/common';
import { FeedbackRoutes } from './feedback/feedback-routes.js';
import { FeedbackService } from './feedback/feedback.service.js';
import { LabelStore } from './feedback/label-store.js';
import { PerformanceGauges } from './performance/performance-gauges.js';
import { PerformanceController } from './performance/performance.controller.js';
import { PerformanceReader } from './performance/performance-reader.js';
import { PerformanceService } from './performance/performance.service.js';
import { PredictionPartitions } from './telemetry/prediction-partitions.js';
import { PredictionRecorder } from './telemetry/prediction-recorder.js';

/**
 * Monitoring: prediction telemetry now; sketches, drift checks, feedback
 * and performance join it here. Serving imports it for the recorder.
 */
@Module({
  controllers: [PerformanceController],
  providers: [
    PredictionRecorder,
    // The prediction log's daily partitions, feedback (labels) and live performance.
    PredictionPartitions,
    LabelStore,
    FeedbackService,
    FeedbackRoutes,
    PerformanceReader,
    PerformanceService,
    PerformanceGauges,
  ],
  // PerformanceReader.windowMetrics is what alerting reads.
  exports: [PredictionRecorder, PerformanceReader],
})
export class MonitoringModule {}
