import { Injectable } from '@nestjs/common';
import copyStreams from 'pg-copy-streams';
import { DataSource, type EntityManager } from 'typeorm';
import { float8, leaseBuffer, parseBinaryCopy, sqlString, text } from './binary-copy.js';
import type { Cell } from './bucket-grid.js';
import { type JoinedLabel, type LabelDelta, labelDeltas, packScores } from './label-deltas.js';
import { acceptLabelsSql, joinPendingSql, upsertLabelBucketsSql } from './label-join-sql.js';
import type { PredictionCell } from './prediction-tally.js';

export interface SeriesFilter {
  version?: number;
  variant?: string;
}

export interface PredictionCellRow {
  version: number;
  variant: string;
  /** 0 sent, 1 looked up (feature-source.ts). */
  feature_source: number;
  grain: number;
  bucket_start: Date;
  predictions: number;
  scored: number;
  score_sum: number;
  score_histogram?: number[] | null;
}

export interface LabelCellRow {
  version: number;
  variant: string;
  /** 0 sent, 1 looked up (feature-source.ts). */
  feature_source: number;
  grain: number;
  bucket_start: Date;
  labels: number;
  binary_labels: number;
  positives: number;
  log_loss_sum: number;
  score_sum: number;
  classified: number;
  correct: number;
  valued: number;
  sq_error_sum: number;
  abs_error_sum: number;
  pos_scores?: Buffer | null;
  neg_scores?: Buffer | null;
  pos_histogram?: number[] | null;
  neg_histogram?: number[] | null;
}

/** What to read of label cells beside their counts and sums. */
export type LabelDetail = 'counts' | 'scores' | 'histograms';

const PREDICTION_CHUNK = 500;
const LABEL_CHUNK = 200;
type Query = (sql: string, params?: unknown[]) => Promise<any>;
/** Runs `COPY (...) TO STDOUT (FORMAT binary)` and returns its bytes. */
export type CopyOut = (sql: string) => Promise<Buffer>;

/**
 * `COPY ... TO STDOUT` on the connection of `em` (inside its transaction,
 * under its statement timeout), into a leased buffer added to `leased`:
 * the caller gives it back (`giveBack`) once nothing points into it.
 */
export function copyOutOf(em: EntityManager, leased: Buffer[]): CopyOut {
  return async (sql) => {
    const client = (await em.queryRunner!.connect()) as { query<S>(stream: S): S };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of client.query(copyStreams.to(sql))) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const out = leaseBuffer(size);
    leased.push(out);
    let at = 0;
    for (const c of chunks) at += c.copy(out, at);
    return out.subarray(0, size);
  };
}

/**
 * The I/O of performance buckets: each replica's prediction cells (rewritten
 * whole per flush), the additive label cells, and the joins that feed them.
 */
@Injectable()
export class BucketStore {
  constructor(private readonly dataSource: DataSource) {}

  async upsertPredictionCells(replicaId: string, cells: readonly { model: string; version: number; variant: string; source: number; cell: PredictionCell }[]): Promise<void> {
    for (let i = 0; i < cells.length; i += PREDICTION_CHUNK) {
      const chunk = cells.slice(i, i + PREDICTION_CHUNK);
      const params: unknown[] = [];
      const values = chunk.map(({ model, version, variant, source, cell }) => {
        const at = params.length;
        params.push(model, version, variant, cell.grain, new Date(cell.start), replicaId, cell.predictions, cell.scored, cell.scoreSum, cell.histogram ? Array.from(cell.histogram) : null, source);
        const p = (k: number) => `$${at + k}`;
        return `(${p(1)}, ${p(2)}::int, ${p(3)}, ${p(4)}::int, ${p(5)}::timestamptz, ${p(6)}, ${p(7)}::bigint, ${p(8)}::bigint, ${p(9)}::float8, ${p(10)}::int[], ${p(11)}::smallint, now())`;
      });
      await this.dataSource.query(
        `INSERT INTO prediction_buckets (model_name, version, variant, grain, bucket_start, replica_id, predictions, scored, score_sum, score_histogram, feature_source, updated_at)
         VALUES ${values.join(', ')}
         ON CONFLICT (model_name, grain, bucket_start, version, variant, feature_source, replica_id)
         DO UPDATE SET predictions = EXCLUDED.predictions, scored = EXCLUDED.scored, score_sum = EXCLUDED.score_sum,
                       score_histogram = EXCLUDED.score_histogram, updated_at = now()`,
        params,
      );
    }
  }

  /** Prediction cells of one model (one row per replica), optionally with their score histograms. */
  async predictionCells(model: string, cells: readonly Cell[], filter: SeriesFilter, histograms = false, query: Query = this.q): Promise<PredictionCellRow[]> {
    const { minutes, hours } = split(cells);
    return query(
      `SELECT version, variant, feature_source, grain, bucket_start, predictions::float8 AS predictions, scored::float8 AS scored, score_sum${histograms ? ', score_histogram' : ''}
         FROM prediction_buckets
        WHERE model_name = $1 AND ((grain = 60 AND bucket_start = ANY($2::timestamptz[])) OR (grain = 3600 AND bucket_start = ANY($3::timestamptz[])))
          AND ($4::int IS NULL OR version = $4) AND ($5::text IS NULL OR variant = $5)`,
      [model, minutes, hours, filter.version ?? null, filter.variant ?? null],
    );
  }

  /**
   * Label cells of one model: counts and sums, with the labelled scores or
   * the histograms when asked. Scores are read by binary COPY when `copy` is
   * given: their bytes as stored, where a query returns them as hex text.
   */
  async labelCells(model: string, cells: readonly Cell[], filter: SeriesFilter, detail: LabelDetail, query: Query = this.q, copy?: CopyOut): Promise<LabelCellRow[]> {
    if (detail === 'scores' && copy) return labelCellsByCopy(model, cells, filter, copy);
    const { minutes, hours } = split(cells);
    const extra = detail === 'scores' ? ', pos_scores, neg_scores' : detail === 'histograms' ? ', pos_histogram, neg_histogram' : '';
    return query(
      `SELECT version, variant, feature_source, grain, bucket_start, labels::float8 AS labels, binary_labels::float8 AS binary_labels, positives::float8 AS positives,
              log_loss_sum, score_sum, classified::float8 AS classified, correct::float8 AS correct, valued::float8 AS valued, sq_error_sum, abs_error_sum${extra}
         FROM label_buckets
        WHERE model_name = $1 AND ((grain = 60 AND bucket_start = ANY($2::timestamptz[])) OR (grain = 3600 AND bucket_start = ANY($3::timestamptz[])))
          AND ($4::int IS NULL OR version = $4) AND ($5::text IS NULL OR variant = $5)`,
      [model, minutes, hours, filter.version ?? null, filter.variant ?? null],
    );
  }

  /**
   * Stores the labels of ids without one and joins them with their records,
   * in one transaction with the label cells they add to; returns the ids
   * it stored.
   */
  async acceptLabels(items: readonly { predictionId: string; label: string | null; value: number | null; outcomes: Record<string, number> | null }[], bounds: [number, number]): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    return this.dataSource.transaction(async (em) => {
      const rows: ({ kind: 'stored' | 'joined'; id: string | null } & JoinedLabel)[] = await em.query(acceptLabelsSql(bounds), [
        items.map((i) => i.predictionId),
        items.map((i) => i.label),
        items.map((i) => i.value),
        items.map((i) => (i.outcomes ? JSON.stringify(i.outcomes) : null)),
      ]);
      await this.addLabelDeltas(em, labelDeltas(rows.filter((r) => r.kind === 'joined')));
      return new Set(rows.filter((r) => r.kind === 'stored').map((r) => r.id!));
    });
  }

  /** One pass of the joiner over up to `limit` pending labels after `cursor`; returns how many it looked at, joined, and the next cursor. */
  async joinPending(limit: number, cursor: string): Promise<{ taken: number; joined: number; last: string | null }> {
    return this.dataSource.transaction(async (em) => {
      const rows: ({ kind: 'joined' | 'taken'; id: string | null } & JoinedLabel)[] = await em.query(joinPendingSql(), [limit, cursor]);
      const joined = rows.filter((r) => r.kind === 'joined');
      await this.addLabelDeltas(em, labelDeltas(joined));
      const taken = rows.find((r) => r.kind === 'taken');
      return { taken: taken?.version ?? 0, joined: joined.length, last: taken?.id ?? null };
    });
  }

  private async addLabelDeltas(em: EntityManager, deltas: readonly LabelDelta[]): Promise<void> {
    for (let i = 0; i < deltas.length; i += LABEL_CHUNK) {
      const chunk = deltas.slice(i, i + LABEL_CHUNK);
      const params: unknown[] = [];
      for (const d of chunk) {
        params.push(
          d.model, d.version, d.variant, d.source, d.grain, new Date(d.start), d.labels, d.binaryLabels, d.positives, d.logLossSum, d.scoreSum,
          d.classified, d.correct, d.valued, d.sqErrorSum, d.absErrorSum, packScores(d.pos), packScores(d.neg),
          d.posHistogram ? Array.from(d.posHistogram) : null, d.negHistogram ? Array.from(d.negHistogram) : null,
        );
      }
      await em.query(upsertLabelBucketsSql(chunk.length), params);
    }
  }

  private get q(): Query {
    return (sql, params) => this.dataSource.query(sql, params);
  }
}

const LABEL_COLUMNS =
  'labels, binary_labels, positives, log_loss_sum, score_sum, classified, correct, valued, sq_error_sum, abs_error_sum';

/** `labelCells` with the scores, in one binary COPY (a COPY takes no parameters: values are written as literals). */
async function labelCellsByCopy(model: string, cells: readonly Cell[], filter: SeriesFilter, copy: CopyOut): Promise<LabelCellRow[]> {
  const { minutes, hours } = split(cells);
  const times = (ds: Date[]) => `'{${ds.map((d) => d.toISOString()).join(',')}}'::timestamptz[]`;
  if (filter.version !== undefined && !Number.isInteger(filter.version)) throw new RangeError('version must be an integer');
  const numbers = LABEL_COLUMNS.split(', ').map((c) => `${c}::float8`);
  const data = await copy(
    `COPY (SELECT version::float8, variant, feature_source::float8, grain::float8, (extract(epoch FROM bucket_start) * 1000)::float8, ${numbers.join(', ')}, pos_scores, neg_scores
       FROM label_buckets
      WHERE model_name = ${sqlString(model)} AND ((grain = 60 AND bucket_start = ANY(${times(minutes)})) OR (grain = 3600 AND bucket_start = ANY(${times(hours)})))
        ${filter.version !== undefined ? `AND version = ${filter.version}` : ''} ${filter.variant !== undefined ? `AND variant = ${sqlString(filter.variant)}` : ''}
    ) TO STDOUT (FORMAT binary)`,
  );
  const names = LABEL_COLUMNS.split(', ');
  return parseBinaryCopy(data).map((f) => {
    const row: Record<string, unknown> = { version: float8(f[0]), variant: text(f[1]), feature_source: float8(f[2]), grain: float8(f[3]), bucket_start: new Date(float8(f[4])!) };
    names.forEach((name, i) => (row[name] = float8(f[5 + i])));
    row.pos_scores = f[5 + names.length];
    row.neg_scores = f[6 + names.length];
    return row as unknown as LabelCellRow;
  });
}

function split(cells: readonly Cell[]): { minutes: Date[]; hours: Date[] } {
  const minutes: Date[] = [];
  const hours: Date[] = [];
  for (const c of cells) (c.grain === 60 ? minutes : hours).push(new Date(c.start));
  return { minutes, hours };
}
