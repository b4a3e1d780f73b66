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
  let subject = SUBJECTS.get(model);
  if (subject === undefined) {
    subject = encodeSubject(model);
    // Bounded: names are validated on the way in, but a cache must not grow with a stream of them.
    if (SUBJECTS.size < 10_000) SUBJECTS.set(model, subject);
  }
  return subject;
}

const SUBJECTS = new Map<string, string>();

function encodeSubject(model: string): string {
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
  const time = new Date(r.createdAt).toISOString();
  let json: string;
  try {
    // Built by hand: JSON.stringify of the whole record cost several times
    // this on the serving loop, and only the free-form parts need it.
    json =
      `{"prediction_id":${quoted(r.id)},"model":${quoted(r.model)},"version":${r.version},"variant":${quoted(r.variant)},` +
      `"protocol":${quoted(r.protocol)},"fallback":${r.fallback === true},"created_at":"${time}","latency_ms":${numberJson(r.latencyMs)},` +
      `"score":${numberJson(r.score)},"label":${r.label === undefined || r.label === null ? 'null' : typeof r.label === 'number' ? numberJson(r.label) : JSON.stringify(String(r.label))},` +
      `"outputs":${valueJson(r.outputs)},"inputs":${valueJson(r.inputs)},"feature_source":${r.lookedUp === true ? '"looked_up"' : '"sent"'}}`;
  } catch {
    return undefined;
  }
  return { id: r.id, subject: predictionSubject(r.model), source: sourceOf(r.model, r.version), time, data: Buffer.from(json, 'utf8') };
}

/** JSON strings of the few repeated values (ids differ, but model, variant and protocol repeat), bounded. */
const QUOTED = new Map<string, string>();
function quoted(v: unknown): string {
  const s = String(v);
  let q = QUOTED.get(s);
  if (q === undefined) {
    q = JSON.stringify(s);
    if (s.length !== 36 && QUOTED.size < 10_000) QUOTED.set(s, q);
  }
  return q;
}

const numberJson = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : 'null');

/** A value's JSON, `null` when absent; throws for a value with no JSON form (a BigInt, a cycle). */
function valueJson(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  const json = JSON.stringify(v);
  if (json === undefined) throw new TypeError('no JSON form');
  return json;
}

const SOURCES = new Map<string, string>();
function sourceOf(model: string, version: number): string {
  const key = `${model}\u0000${version}`;
  let source = SOURCES.get(key);
  if (source === undefined) {
    source = `/modelgate/models/${encodeURIComponent(model)}/versions/${version}`;
    if (SOURCES.size < 10_000) SOURCES.set(key, source);
  }
  return source;
}
