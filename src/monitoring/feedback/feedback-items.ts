import { ValidationFailed } from '../../common/errors.js';

/** One ground-truth item, normalised: `label` as the predict answer writes it (text), or `value` for regression. */
export interface FeedbackItem {
  predictionId: string;
  label: string | null;
  value: number | null;
  outcomes: Record<string, number> | null;
}

export type FeedbackStatus = 'accepted' | 'duplicate' | 'conflict' | 'not_found';

export interface FeedbackAnswer {
  results: { prediction_id: string; status: FeedbackStatus }[];
  accepted: number;
  duplicate: number;
  conflict: number;
  not_found: number;
}

const MAX_OUTCOMES = 50;

/**
 * Reads `POST /v1/feedback`: one item or an array of items. A body that is
 * not that shape is a 400 naming the offending field; an id that is merely
 * unknown is not malformed (it is answered `not_found` per item).
 */
export function parseFeedbackBody(body: unknown, maxItems: number): FeedbackItem[] {
  const raw = Array.isArray(body) ? body : [body];
  if (raw.length > maxItems) throw new ValidationFailed(`at most ${maxItems} items per request, got ${raw.length}`, { field: 'body' });
  return raw.map((item, i) => parseItem(item, Array.isArray(body) ? `${i}.` : ''));
}

function parseItem(item: unknown, at: string): FeedbackItem {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new ValidationFailed(`${at || 'body'}: each item must be an object {prediction_id, label | value, outcomes}`, { field: at ? at.slice(0, -1) : 'body' });
  }
  const o = item as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'prediction_id' && key !== 'label' && key !== 'value' && key !== 'outcomes') fail(`${at}${key}`, 'is not a feedback field (prediction_id, label, value, outcomes)');
  }
  if (typeof o.prediction_id !== 'string' || o.prediction_id.length === 0 || o.prediction_id.length > 64) fail(`${at}prediction_id`, 'must be the prediction_id string a predict answer returned');
  const hasLabel = o.label !== undefined && o.label !== null;
  const hasValue = o.value !== undefined && o.value !== null;
  if (hasLabel === hasValue) fail(`${at}label`, 'give exactly one of label (classification) and value (regression)');
  let label: string | null = null;
  let value: number | null = null;
  if (hasLabel) {
    if (typeof o.label === 'number' && Number.isFinite(o.label)) label = String(o.label);
    else if (typeof o.label === 'string' && o.label.length > 0 && o.label.length <= 256 && !o.label.includes('\u0000')) label = o.label;
    else fail(`${at}label`, 'must be a finite number or a non-empty string of at most 256 characters');
  } else {
    if (typeof o.value !== 'number' || !Number.isFinite(o.value)) fail(`${at}value`, 'must be a finite number');
    value = o.value as number;
  }
  let outcomes: Record<string, number> | null = null;
  if (o.outcomes !== undefined && o.outcomes !== null) {
    if (typeof o.outcomes !== 'object' || Array.isArray(o.outcomes)) fail(`${at}outcomes`, 'must be an object of named numbers');
    const entries = Object.entries(o.outcomes as Record<string, unknown>);
    if (entries.length > MAX_OUTCOMES) fail(`${at}outcomes`, `at most ${MAX_OUTCOMES} outcomes`);
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > 64 || k.includes('\u0000')) fail(`${at}outcomes`, 'names must be 1 to 64 characters');
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${at}outcomes.${k}`, 'must be a finite number');
    }
    outcomes = Object.fromEntries(entries) as Record<string, number>;
  }
  return { predictionId: o.prediction_id.toLowerCase(), label, value, outcomes };
}

function fail(field: string, message: string): never {
  throw new ValidationFailed(`${field}: ${message}`, { field });
}

/** Whether a stored label says the same as a new item (outcomes do not count: the label is the fact). */
export function sameLabel(stored: { label: string | null; value: number | null }, item: FeedbackItem): boolean {
  return stored.label === item.label && (stored.value === null ? item.value === null : item.value !== null && stored.value === item.value);
}

export function answerOf(ids: readonly string[], statuses: readonly FeedbackStatus[]): FeedbackAnswer {
  const a: FeedbackAnswer = { results: [], accepted: 0, duplicate: 0, conflict: 0, not_found: 0 };
  for (let i = 0; i < ids.length; i++) {
    a.results.push({ prediction_id: ids[i], status: statuses[i] });
    a[statuses[i]]++;
  }
  return a;
}
