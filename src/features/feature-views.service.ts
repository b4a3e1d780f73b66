import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../auth/scopes.js';
import { decodeCursor, toPage } from '../common/page-cursor.js';
import { CsvSyntaxError, parseCsv } from '../monitoring/sketch/csv.js';
import { FeatureViewCatalog, type FeatureViewRecord } from './feature-view.catalog.js';
import { csvRecords, decodeFeatureRows, entityKey, FeatureRowError, type FeatureRow, type FeatureViewSpec, isStale } from './feature-view.js';
import { FeatureRowNotFound, FeatureViewNotFound, InvalidFeatureRows } from './features.errors.js';
import { FeatureStore } from './stores/feature-store.js';

/** Rows per store round trip when writing: bounds one statement or pipeline. */
const WRITE_CHUNK = 1_000;
/** Rows one request may write; a pipeline sends more as several requests (the CLI does). */
export const MAX_ROWS_PER_REQUEST = 50_000;

export interface RowsWritten {
  view: string;
  rows: number;
  written: number;
  /** Rows not stored because the store holds a later event for their entity. */
  older: number;
}

/** Feature views and their rows: definitions in the catalog, rows in the deployment's store. */
@Injectable()
export class FeatureViewsService {
  constructor(
    private readonly catalog: FeatureViewCatalog,
    @Inject(FeatureStore) private readonly store: FeatureStore,
  ) {}

  create(spec: FeatureViewSpec, actor: Actor): Promise<FeatureViewRecord> {
    return this.catalog.insert(spec, actor.keyId);
  }

  async get(name: string): Promise<FeatureViewRecord> {
    const view = await this.catalog.find(name);
    if (!view) throw new FeatureViewNotFound(name);
    return view;
  }

  async list(limit: number, cursor?: string): Promise<{ items: FeatureViewRecord[]; next_cursor: string | null }> {
    const rows = await this.catalog.page(limit, cursor === undefined ? undefined : decodeCursor(cursor));
    return toPage(rows, limit, (v) => v.name);
  }

  async remove(name: string): Promise<void> {
    await this.get(name);
    // Rows first: a view whose rows outlive it in Redis would shadow a new view of the same name.
    await this.store.deleteView(name);
    await this.catalog.remove(name);
  }

  /** Upserts rows given as JSON objects or CSV text; the whole request is refused on its first bad row. */
  async writeRows(name: string, body: unknown, now = Date.now()): Promise<RowsWritten> {
    const view = await this.get(name);
    const rows = decodeBody(view, body, now);
    let written = 0;
    let older = 0;
    for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
      const out = await this.store.upsert(name, rows.slice(i, i + WRITE_CHUNK));
      written += out.written;
      older += out.older;
    }
    return { view: name, rows: rows.length, written, older };
  }

  /** One entity's stored row, with its age and whether it is stale; `ids` are the view's entity key values, in order. */
  async readRow(name: string, ids: string[], now = Date.now()) {
    const view = await this.get(name);
    if (ids.length !== view.entities.length) {
      throw new InvalidFeatureRows(`view "${name}" is keyed by ${view.entities.join(', ')}: give ${view.entities.length} id(s)`, 'entity');
    }
    const entity = entityKey(ids);
    const [row] = await this.store.lookup(name, [entity]);
    if (!row) throw new FeatureRowNotFound(name, ids.join(','));
    return {
      view: name,
      entity: Object.fromEntries(view.entities.map((e, i) => [e, ids[i]])),
      values: row.values,
      event_time: new Date(row.eventTime).toISOString(),
      age_s: Math.max(0, (now - row.eventTime) / 1000),
      stale: isStale(view, row.eventTime, now),
      store: this.store.kind,
    };
  }

  get storeKind(): FeatureStore['kind'] {
    return this.store.kind;
  }
}

function decodeBody(view: FeatureViewSpec, body: unknown, now: number): FeatureRow[] {
  try {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      const table = parseCsv(body);
      if (table.rows.length > MAX_ROWS_PER_REQUEST) throw tooMany(table.rows.length);
      return decodeFeatureRows(view, csvRecords(table.header, table.rows), now, true);
    }
    const records = Array.isArray(body) ? body : (body as { rows?: unknown } | null)?.rows;
    if (!Array.isArray(records)) throw new InvalidFeatureRows('send {"rows": [...]}, a JSON array of rows, or text/csv with a header', 'rows');
    if (records.length === 0) throw new InvalidFeatureRows('rows is empty', 'rows');
    if (records.length > MAX_ROWS_PER_REQUEST) throw tooMany(records.length);
    return decodeFeatureRows(view, records as Record<string, unknown>[], now);
  } catch (err) {
    if (err instanceof FeatureRowError) throw new InvalidFeatureRows(err.message, err.field, err.row);
    if (err instanceof CsvSyntaxError) throw new InvalidFeatureRows(`malformed CSV: ${err.message}`, 'body');
    throw err;
  }
}

const tooMany = (n: number) => new InvalidFeatureRows(`${n} rows in one request; at most ${MAX_ROWS_PER_REQUEST} (send several requests)`, 'rows');
