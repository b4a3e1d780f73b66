import type { PredictionRecord } from './telemetry-records.js';

/**
 * A prediction as a CloudEvent in binary content mode over the CloudEvents
 * NATS protocol binding: the event's attributes are message headers named
 * `ce-<attribute>`, its data (the prediction as JSON) is the message body
 * and `content-type` says so. Pure: the stream I/O is PredictionStream's.
 */

/** The JetStream stream the log is written to; created with these subjects when missing. */
export const PREDICTION_STREAM = 'MODELGATE_PREDICTIONS';
export const SUBJECT_PREFIX = 'modelgate.predictions.';
export const STREAM_SUBJECTS = `${SUBJECT_PREFIX}>`;
export const EVENT_TYPE = 'dev.modelgate.prediction';
export const EVENT_SPECVERSION = '1.0';
export const EVENT_CONTENT_TYPE = 'application/json';

/** Subject-token characters kept as they are; everything else (`.`, `*`, `>`, space, `%`, non-ASCII) is percent-encoded. */
const SAFE = /^[A-Za-z0-9_-]$/;

/**
 * `modelgate.predictions.<model>` with the name percent-encoded as UTF-8
 * bytes, so a model name is always exactly one subject token: `credit.v2`
 * becomes `credit%2Ev2` (a dot would split it into two tokens and let
 * `modelgate.predictions.credit.>` match another model's traffic).
 */
export function predictionSubject(model: string): string {
  let token = '';
  for (const ch of model) {
    if (SAFE.test(ch)) token += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) token += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return SUBJECT_PREFIX + token;
}

/** The model name a subject was made from (consumers, tests). */
export function modelOfSubject(subject: string): string {
  if (!subject.startsWith(SUBJECT_PREFIX)) throw new RangeError(`${subject} is not a prediction subject`);
  return decodeURIComponent(subject.slice(SUBJECT_PREFIX.length));
}

/** One message for the stream: what PredictionStream publishes. */
export interface PredictionEvent {
  /** The prediction id: `ce-id`, and `Nats-Msg-Id` so JetStream drops a re-sent copy. */
  id: string;
  subject: string;
  /** `ce-source`. */
  source: string;
  /** `ce-time`, RFC 3339. */
  time: string;
  data: Uint8Array;
}

/**
 * The event of one prediction; undefined when it has no JSON form (a
 * BigInt or a cycle in its outputs or inputs), which the caller counts as
 * rejected.
 */
export function predictionEvent(r: PredictionRecord): PredictionEvent | undefined {
  let json: string;
  try {
    json = JSON.stringify({
      prediction_id: r.id,
      model: r.model,
      version: r.version,
      variant: r.variant,
      protocol: r.protocol,
      fallback: r.fallback === true,
      created_at: new Date(r.createdAt).toISOString(),
      latency_ms: r.latencyMs,
      score: Number.isFinite(r.score) ? r.score : null,
      label: r.label ?? null,
      outputs: r.outputs ?? null,
      inputs: r.inputs ?? null,
    });
  } catch {
    return undefined;
  }
  return {
    id: r.id,
    subject: predictionSubject(r.model),
    source: `/modelgate/models/${encodeURIComponent(r.model)}/versions/${r.version}`,
    time: new Date(r.createdAt).toISOString(),
    data: Buffer.from(json, 'utf8'),
  };
}
