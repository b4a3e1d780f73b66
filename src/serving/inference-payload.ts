import type { NumericMatrix } from './feature-reader.js';
import type { InferenceResults, LoadedVersion } from './loaded-version.js';
import type { PredictionRow, RowsInput } from './prediction-rows.js';
import type { InferenceFeeds } from './version-attempt.js';

export type { InferenceFeeds } from './version-attempt.js';

/** A request's rows as one row-major matrix in a version's feature order. */
export interface MatrixRows {
  data: NumericMatrix;
  rows: number;
  width: number;
}

/**
 * A request in tensors (the Open Inference Protocol, over V2 REST or gRPC):
 * the core asks it, for whichever version ends up running it (the chosen
 * one, its fallback, a shadow), for that version's feature matrix (a
 * tabular version: the micro-batched way `/v1` rows go) or its feeds (any
 * other model). Each throws the caller's mistakes.
 */
export interface TensorPayload {
  readonly tensors: true;
  /** `explain_features`: each decoded row keeps the looked-up features it was served, as `RowsInput.explainFeatures`. */
  readonly explainFeatures?: boolean;
  /** Checks what the caller asked of the answer (its outputs) against the version about to give it. */
  check(v: LoadedVersion): void;
  matrixFor(v: LoadedVersion): MatrixRows;
  feedsFor(v: LoadedVersion): { feeds: InferenceFeeds; rows: number };
  /** For a version with online features: the request as named rows when it sends entity keys (BYTES inputs named for them), else undefined. */
  namedRows(v: LoadedVersion, entities: readonly string[]): Record<string, unknown>[] | undefined;
}

/** What an edge hands the core: rows (`/v1` instances or inputs) or tensors. */
export type Payload = RowsInput | TensorPayload;

export function isTensors(p: Payload): p is TensorPayload {
  return (p as TensorPayload).tensors === true;
}

/**
 * Whether a version takes tensors the way `/v1` rows go (its feature
 * matrix, micro-batched, decoded into rows that reach the sketches): a
 * tabular version, unless it is a generic tensor model, which has no rows
 * to decode.
 */
export function takesMatrix(v: LoadedVersion): boolean {
  return v.tabular && (v.task as string) !== 'tensor';
}

export interface PredictAnswer {
  model: string;
  version: number;
  variant: string;
  fallback: boolean;
  /** Decoded rows (rows, or tensors into a tabular version); for a generic tensor model only the ids. */
  predictions: PredictionRow[];
}

/** The core's answer, and the raw outputs of the run that served it (V2 and gRPC answer tensors). */
export interface InferOutcome {
  answer: PredictAnswer;
  served: LoadedVersion;
  results: InferenceResults;
  /** The request's rows in `results`: rows `offset .. offset + rows - 1` when micro-batched with other callers; all of it otherwise. */
  batched: boolean;
  offset: number;
  rows: number;
}

/** The version picked for a request and what to do if it cannot answer. */
export interface Choice {
  version: number;
  variant: string;
  fallback?: number;
  timeoutMs?: number;
  shadow: readonly number[];
  /** Share of requests copied to `shadow` (default 1). */
  shadowSample?: number;
  /** A pinned-version route: a first call starts the version's load in the background and answers LOADING. */
  pinned?: boolean;
}
