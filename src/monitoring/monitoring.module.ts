import { Module } from '@nestjs/common';
import { FeedbackRoutes } from './feedback/feedback-routes.js';
import { FeedbackService } from './feedback/feedback.service.js';
import { LabelStore } from './feedback/label-store.js';
import { PredictionPartitions } from './telemetry/prediction-partitions.js';
import { PredictionRecorder } from './telemetry/prediction-recorder.js';

/**
 * Monitoring: prediction telemetry now; sketches, drift checks, feedback
 * and performance join it here. Serving imports it for the recorder.
 */
@Module({
  providers: [
    PredictionRecorder,
    // The prediction log's daily partitions, feedback (labels) and live performance.
    PredictionPartitions,
    LabelStore,
    FeedbackService,
    FeedbackRoutes,
  ],
  exports: [PredictionRecorder],
})
export class MonitoringModule {}
