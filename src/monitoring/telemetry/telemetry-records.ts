/**
 * What the serving gateway hands to the recorder per prediction. Built on
 * the hot path, so it holds raw values: JSON serialisation happens when the
 * record is flushed, off the request.
 */
export interface PredictionRecord {
  /** UUIDv7, the `prediction_id` returned to the caller. */
  id: string;
  model: string;
  version: number;
  variant: string;
  protocol: 'v1' | 'v2' | 'grpc';
  fallback: boolean;
  /** Epoch milliseconds. */
  createdAt: number;
  latencyMs: number;
  /** Binary: the positive-class score; regression: the value. */
  score?: number;
  label?: number | string;
  /** Only what score and label cannot hold (multiclass probabilities, extra outputs); JSON-serialisable. */
  outputs?: unknown;
  /** Present only for sampled requests (see `PredictionRecorder.shouldSampleInputs`). */
  inputs?: unknown;
  /** True when any feature value was not sent by the caller (online features; see feature-source.ts); absent: sent. */
  lookedUp?: boolean;
}

/** One shadow version's answer to a live request, keyed by the live prediction's id. */
export interface ShadowRecord {
  predictionId: string;
  model: string;
  version: number;
  /** Epoch milliseconds. */
  createdAt: number;
  latencyMs: number;
  score?: number;
  label?: number | string;
  outputs?: unknown;
  error?: string;
  /** The live prediction's feature source (a shadow copy is served the same values). */
  lookedUp?: boolean;
}
