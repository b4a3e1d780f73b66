import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BucketStore } from '../buckets/bucket-store.js';
import { uuidMs } from '../telemetry/partition-bounds.js';
import type { FeedbackItem } from './feedback-items.js';

export interface StoredLabel {
  prediction_id: string;
  label: string | null;
  value: number | null;
}

/** SQLSTATE 23514: "no partition of relation found for row" (and check violations, which the parser rules out). */
export const NO_PARTITION = '23514';

/** The `prediction_labels` table: one row per prediction id, the first label kept; accepted labels join their records as they are stored. */
@Injectable()
export class LabelStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly buckets: BucketStore,
  ) {}

  /**
   * Inserts the items whose id has no label yet and joins them with their
   * prediction records (see BucketStore.acceptLabels), in one transaction
   * committed when this resolves; returns the ids it stored. Concurrent
   * inserts of one id serialise on the primary key: exactly one stores, the
   * others see it and store nothing.
   */
  async insertNew(items: readonly FeedbackItem[]): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of items) {
      const t = uuidMs(i.predictionId);
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    return this.buckets.acceptLabels(items, [lo, hi]);
  }

  async find(ids: readonly string[]): Promise<Map<string, StoredLabel>> {
    if (ids.length === 0) return new Map();
    const rows: StoredLabel[] = await this.dataSource.query(
      `SELECT prediction_id::text, label, value FROM prediction_labels WHERE prediction_id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.prediction_id, r]));
  }

  /** UTC day starts (epoch ms) that have a labels partition. */
  async partitionDays(): Promise<Set<number>> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'prediction_labels' AND p.relnamespace = current_schema()::regnamespace`,
    );
    const days = new Set<number>();
    for (const r of rows) {
      const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(r.name);
      if (m) days.add(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    }
    return days;
  }
}
