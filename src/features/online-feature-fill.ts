import { type AppError, ValidationFailed } from '../common/errors.js';
import { entityId, entityKey, type FeatureValue, type FeatureViewSpec, isStale, type StoredFeatureRow } from './feature-view.js';
import { FeatureMissing, FeatureStoreUnavailable } from './features.errors.js';
import type { LookedUpFeature } from './online-features.js';

/**
 * What filling a micro-batch decides, apart from any I/O: which entities to
 * read (each once per view), and per row and looked-up feature which value
 * serves and why. Pure: the resolver does the read and the metrics.
 */

/** Where a served value came from. */
export type FeatureSource = 'sent' | 'store' | 'default' | 'missing';
/** What a look-up found, counted per view in `modelgate_feature_lookups_total`. */
export type LookupOutcome = 'hit' | 'sent' | 'missing' | 'stale' | 'error';
export const LOOKUP_OUTCOMES: readonly LookupOutcome[] = ['hit', 'sent', 'missing', 'stale', 'error'];

export type ViewDefinition = Pick<FeatureViewSpec, 'entities' | 'features' | 'ttl_s'>;
/** A request row as sent: feature values and entity ids by name. */
export type RequestRow = Readonly<Record<string, unknown>>;

export interface LookupPlan {
  /** One entry per view that needs reading: its distinct entity keys. */
  requests: { view: string; entities: string[] }[];
  /** Per view, per row, the index into that view's `entities`; -1 when the row needs nothing from the view. */
  slots: Map<string, Int32Array>;
  /** Per view, per row, the entity ids as the caller sent them (for error messages). */
  entityLabels: Map<string, (string | undefined)[]>;
}

/** Whether the caller sent a value for `name` (`null` is a value: it says "missing" and wins over the store). */
const sent = (row: RequestRow, name: string) => Object.hasOwn(row, name) && row[name] !== undefined;

/**
 * The reads a batch needs. A row that sends every feature it would read
 * from a view needs no entity id for that view; otherwise a missing or
 * malformed entity id is the caller's mistake (400, naming row and key).
 */
export function planLookups(features: readonly LookedUpFeature[], views: ReadonlyMap<string, ViewDefinition | undefined>, rows: readonly RequestRow[]): LookupPlan {
  const plan: LookupPlan = { requests: [], slots: new Map(), entityLabels: new Map() };
  // Plain loops, no closures or copies: this runs once per request.
  const byView = new Map<string, LookedUpFeature[]>();
  for (const f of features) {
    const group = byView.get(f.view);
    if (group) group.push(f);
    else byView.set(f.view, [f]);
  }
  for (const [viewName, viewFeatures] of byView) {
    const view = views.get(viewName);
    if (!view) continue;
    const slots = new Int32Array(rows.length).fill(-1);
    const labels: (string | undefined)[] = new Array(rows.length);
    const index = new Map<string, number>();
    const entities: string[] = [];
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const needed = firstNotSent(row, viewFeatures);
      if (needed === undefined) continue;
      let key: string;
      let label: string;
      if (view.entities.length === 1) {
        key = label = entityOf(row, view.entities[0], r, needed);
      } else {
        const ids = view.entities.map((e) => entityOf(row, e, r, needed));
        key = entityKey(ids);
        label = ids.join(',');
      }
      let at = index.get(key);
      if (at === undefined) {
        at = entities.push(key) - 1;
        index.set(key, at);
      }
      slots[r] = at;
      labels[r] = label;
    }
    plan.slots.set(viewName, slots);
    plan.entityLabels.set(viewName, labels);
    if (entities.length) plan.requests.push({ view: viewName, entities });
  }
  return plan;
}

/** The first of a view's features the row did not send (what its entity id is needed for), or undefined. */
function firstNotSent(row: RequestRow, viewFeatures: readonly LookedUpFeature[]): string | undefined {
  for (const f of viewFeatures) if (!sent(row, f.name)) return f.name;
  return undefined;
}

/** A row's id for entity key `e`; a missing or malformed one is the caller's mistake (400, naming row and key). */
function entityOf(row: RequestRow, e: string, r: number, needed: string): string {
  const id = entityId(row[e]);
  if (id === undefined) {
    throw new ValidationFailed(`instances.${r}.${e}: entity key "${e}" must be a non-empty string (at most 256 characters) or a number, to look up ${needed}`, {
      field: `instances.${r}.${e}`,
      row: r,
    });
  }
  return id;
}

/** A view's answer: the stored rows in the order of its request's entities, or why the store gave none. */
export type ViewAnswer = { rows: readonly (StoredFeatureRow | undefined)[] } | { unavailable: 'timeout' | 'error' | 'circuit_open' };

export interface FeatureFill {
  value: FeatureValue;
  source: FeatureSource;
  /** Age of a stored value (now minus its event time); null for sent, default and missing values. */
  age_ms: number | null;
}

export interface FilledRow {
  /** The row as sent, with every looked-up feature filled in (sent values untouched). */
  readonly values: Record<string, unknown>;
  /** Per looked-up feature, the value served, its source and age. */
  readonly features: Record<string, FeatureFill>;
  /** The row as the caller sent it. */
  readonly sent?: RequestRow;
  /** Per looked-up feature in its block's order, the value served (`features[name].value`). */
  readonly served: readonly FeatureValue[];
  /** Whether any value served was not sent by the caller (see `lookedUp`). */
  readonly lookedUp: boolean;
}

/**
 * A filled row kept as three arrays in the block's feature order: its
 * merged `values` and its `features` record are built only when asked for
 * (sampled inputs, `explain_features`, shadows of another feature order).
 * The serving path reads the sent row and `served` straight into its
 * matrix. A record per feature per row cost more than the rest of the fill
 * in allocation and garbage collection (issue 26's profile), and copying a
 * parsed body into a merged object more again.
 */
class LazyFilledRow implements FilledRow {
  private merged: Record<string, unknown> | undefined;
  private record: Record<string, FeatureFill> | undefined;
  readonly served: FeatureValue[];
  readonly sources: FeatureSource[];
  readonly ages: (number | null)[];
  lookedUp = false;

  constructor(
    readonly sent: RequestRow,
    private readonly names: readonly string[],
  ) {
    const n = names.length;
    this.served = new Array(n);
    this.sources = new Array(n);
    this.ages = new Array(n);
  }

  get features(): Record<string, FeatureFill> {
    if (this.record) return this.record;
    const f: Record<string, FeatureFill> = {};
    for (let k = 0; k < this.names.length; k++) f[this.names[k]] = { value: this.served[k], source: this.sources[k], age_ms: this.ages[k] };
    return (this.record = f);
  }

  get values(): Record<string, unknown> {
    if (this.merged) return this.merged;
    const v: Record<string, unknown> = Object.assign({}, this.sent);
    for (let k = 0; k < this.names.length; k++) if (this.sources[k] !== 'sent') v[this.names[k]] = this.served[k];
    return (this.merged = v);
  }
}

export interface FillOutcome {
  rows: FilledRow[];
  /** Per view, how many values each outcome had. */
  counts: Map<string, Record<LookupOutcome, number>>;
  /** The first value whose policy is `fail` and that had none: the whole batch fails with it. */
  failure?: AppError;
}

/** A stored value as a model input: booleans become 1 and 0 (inputs are numeric); the rest as stored. */
const asInput = (v: FeatureValue): FeatureValue => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/**
 * Fills every row. A sent value wins; else a fresh stored value; else (absent,
 * null, stale, or the store could not answer) the feature's policy:
 * `default` serves its default, `missing` serves null (NaN to the model),
 * `fail` fails the batch with 422 FEATURE_MISSING or, when the store could
 * not answer, 503 FEATURE_STORE_UNAVAILABLE. Every value is counted.
 */
export function fillRows(
  features: readonly LookedUpFeature[],
  views: ReadonlyMap<string, ViewDefinition | undefined>,
  rows: readonly RequestRow[],
  plan: LookupPlan,
  answers: ReadonlyMap<string, ViewAnswer>,
  storeKind: string,
  now: number,
): FillOutcome {
  const out: FillOutcome = { rows: new Array(rows.length), counts: new Map() };
  // Everything a feature needs that does not depend on the row, found once per batch.
  const nf = features.length;
  const tally: Record<LookupOutcome, number>[] = new Array(nf);
  const answerOf: (ViewAnswer | undefined)[] = new Array(nf);
  const names: string[] = new Array(nf);
  const slotsOf: (Int32Array | undefined)[] = new Array(nf);
  for (let k = 0; k < nf; k++) {
    const f = features[k];
    let c = out.counts.get(f.view);
    if (!c) out.counts.set(f.view, (c = { hit: 0, sent: 0, missing: 0, stale: 0, error: 0 }));
    tally[k] = c;
    names[k] = f.name;
    answerOf[k] = answers.get(f.view);
    slotsOf[k] = plan.slots.get(f.view);
  }
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const filled = new LazyFilledRow(row, names);
    for (let k = 0; k < nf; k++) {
      const f = features[k];
      if (sent(row, f.name)) {
        filled.served[k] = row[f.name] as FeatureValue;
        filled.sources[k] = 'sent';
        filled.ages[k] = null;
        tally[k].sent++;
        continue;
      }
      filled.lookedUp = true;
      const view = views.get(f.view);
      const answer = answerOf[k];
      const slot = slotsOf[k]?.[r] ?? -1;
      let outcome: LookupOutcome;
      let stored: StoredFeatureRow | undefined;
      if (answer && 'unavailable' in answer) {
        outcome = 'error';
      } else {
        stored = view && answer && slot >= 0 ? answer.rows[slot] : undefined;
        const v = stored?.values[f.feature];
        outcome = v === undefined || v === null ? 'missing' : isStale(view!, stored!.eventTime, now) ? 'stale' : 'hit';
      }
      tally[k][outcome]++;
      if (outcome === 'hit') {
        filled.served[k] = asInput(stored!.values[f.feature]);
        filled.sources[k] = 'store';
        filled.ages[k] = Math.max(0, now - stored!.eventTime);
        continue;
      }
      filled.ages[k] = null;
      if (f.onMissing === 'default') {
        filled.served[k] = asInput(f.default);
        filled.sources[k] = 'default';
      } else if (f.onMissing === 'missing') {
        filled.served[k] = null;
        filled.sources[k] = 'missing';
      } else {
        const ref = `${f.view}:${f.feature}`;
        out.failure ??=
          answer && 'unavailable' in answer
            ? new FeatureStoreUnavailable(f.name, ref, storeKind, answer.unavailable)
            : new FeatureMissing(f.name, ref, plan.entityLabels.get(f.view)?.[r] ?? '', outcome === 'stale' ? 'stale' : 'missing', r);
        filled.served[k] = null;
        filled.sources[k] = 'missing';
      }
    }
    out.rows[r] = filled;
  }
  return out;
}

/**
 * Whether a filled row served any value the caller did not send: from the
 * store, or from the `default` / `missing` policy when the store had none.
 * Performance splits predictions on it (`feature_source`: `looked_up` or
 * `sent`).
 */
export function lookedUp(row: FilledRow): boolean {
  return row.lookedUp;
}
