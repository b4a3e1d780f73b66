import fs from 'node:fs/promises';
import type { VersionCalibration } from '../monitoring/estimate/calibration.js';
import type { BaselineSketch } from '../monitoring/sketch/baseline-sketch.js';
import type { ModelTask, OnnxModelInfo } from '../onnx/model-signature.js';
import { inspectOnnxModel } from '../onnx/model-inspector.js';
import { buildVersionBaseline } from './baseline-scorer.js';
import type { UploadMetadata } from './dto/version.dto.js';
import { resolveFeatures, type ResolvedFeatures } from './version-validation.js';

/** Everything an upload needs proven or computed from its files before anything is stored. */
export interface AnalysisJob {
  filePath: string;
  /** A scratch file holding the uploaded baseline, if one was given. */
  baselinePath?: string;
  task: ModelTask;
  meta: UploadMetadata;
  bins: number;
  sampleSize: number;
}

export interface AnalysisResult {
  info: OnnxModelInfo;
  features: ResolvedFeatures;
  baseline: BaselineSketch | null;
  /** Binary models with a labelled baseline only. */
  calibration: VersionCalibration | null;
}

/**
 * Loads the model in onnxruntime, resolves its features and scores the
 * baseline with it: the CPU- and memory-heavy part of an upload. It runs in
 * the upload analysis process (upload-analysis.child.ts), never on the
 * event loop that serves predictions; it throws the domain errors an
 * upload answers with.
 */
export async function analyseUpload(job: AnalysisJob): Promise<AnalysisResult> {
  const info = await inspectOnnxModel(job.filePath);
  const features = resolveFeatures(job.task, info, job.meta);
  if (!job.baselinePath) return { info, features, baseline: null, calibration: null };
  const { sketch, calibration } = await buildVersionBaseline(await fs.readFile(job.baselinePath), job.filePath, job.task, features, {
    labelColumn: job.meta.label_column,
    bins: job.bins,
    sampleSize: job.sampleSize,
  });
  return { info, features, baseline: sketch, calibration };
}
