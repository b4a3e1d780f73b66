import { Module } from '@nestjs/common';
import { BucketStore } from './buckets/bucket-store.js';
import { LabelJoiner } from './buckets/label-joiner.js';
import { PredictionBuckets } from './buckets/prediction-buckets.js';
import { FeedbackRoutes } from './feedback/feedback-routes.js';
import { FeedbackService } from './feedback/feedback.service.js';
import { LabelStore } from './feedback/label-store.js';
import { PerformanceGauges } from './performance/performance-gauges.js';
import { PerformanceController } from './performance/performance.controller.js';
import { PerformanceEstimates } from './performance/performance-estimates.js';
import { PerformanceReader } from './performance/performance-reader.js';
import { PerformanceService } from './performance/performance.service.js';
import { PredictionPartitions } from './telemetry/prediction-partitions.js';
import { DriftMetrics } from '../metrics/drift-metrics.js';
import { EstimateMetrics } from '../metrics/estimate-metrics.js';
import { DriftChecker } from './drift/drift-checker.js';
import { DriftChecksStore } from './drift/drift-checks.store.js';
import { DriftController } from './drift/drift.controller.js';
import { DriftGauges } from './drift/drift-gauges.js';
import { DriftService } from './drift/drift.service.js';
import { LiveSketches } from './live/live-sketches.js';
import { VersionBaselines } from './live/version-baselines.js';
import { WindowSketchStore } from './live/window-sketch.store.js';
import { PredictionRecorder } from './telemetry/prediction-recorder.js';
import { PredictionScoreStore } from './telemetry/prediction-scores.js';
import { PredictionStream } from './telemetry/prediction-stream.js';
import { TelemetryDatabase } from './telemetry/telemetry-database.js';

/**
 * Monitoring: prediction telemetry, live sketches and the elected drift
 * checks; feedback and performance join it here. Serving imports it for
 * the recorder and the live sketches.
 */
@Module({
  controllers: [PerformanceController, DriftController],
  providers: [
    PredictionRecorder,
    TelemetryDatabase,
    // MODELGATE_PREDICTION_LOG=nats://...: full predictions on JetStream, slim rows in PostgreSQL
    PredictionStream,
    PredictionScoreStore,
    // Performance buckets: counts per series and minute/hour kept as the log is written, labels joined as they arrive.
    PredictionBuckets,
    BucketStore,
    LabelJoiner,
    // The prediction log's daily partitions, feedback (labels) and live performance.
    PredictionPartitions,
    LabelStore,
    FeedbackService,
    FeedbackRoutes,
    PerformanceReader,
    PerformanceService,
    PerformanceGauges,
    // drift: live sketches on the prediction path, their flush, the elected check, the API and gauges
    LiveSketches,
    WindowSketchStore,
    VersionBaselines,
    DriftChecksStore,
    DriftChecker,
    DriftService,
    DriftGauges,
    DriftMetrics,
    // CBPE: the estimated-AUC gauges (set beside the realised ones; VersionBaselines.calibration reads what they need)
    EstimateMetrics,
    PerformanceEstimates,
  ],
  // PerformanceReader is what alerting reads (and what estimates read: PerformanceEstimates).
  exports: [PredictionRecorder, PerformanceReader, PredictionBuckets, LiveSketches, DriftChecker, DriftChecksStore, VersionBaselines, EstimateMetrics, PerformanceEstimates],
})
export class MonitoringModule {}
