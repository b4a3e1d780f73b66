import { Module } from '@nestjs/common';
import { PredictionRecorder } from './telemetry/prediction-recorder.js';

/**
 * Monitoring: prediction telemetry now; sketches, drift checks, feedback
 * and performance join it here. Serving imports it for the recorder.
 */
@Module({
  providers: [PredictionRecorder],
  exports: [PredictionRecorder],
})
export class MonitoringModule {}
