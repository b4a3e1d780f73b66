import { Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { LeaderElection } from '../../database/leader-election.js';
import { createPartitionSql, DAY_MS, dayStart, partitionDay, partitionPlan } from './partition-bounds.js';

/** The tables partitioned by day on the prediction id (`prediction_scores`: the slim rows kept when the log is a stream). */
export const PARTITIONED_TABLES = ['predictions', 'shadow_predictions', 'prediction_labels', 'prediction_scores', 'labelled_predictions'] as const;
export const PARTITIONS_AHEAD_DAYS = 3;
/** Hourly is plenty for a daily horizon three days deep; the leader also runs it as soon as it is elected. */
const MAINTENANCE_PERIOD_MS = 60 * 60 * 1000;

/**
 * Keeps the daily partitions of the prediction log: creates today and the
 * next days ahead, drops the days past `MODELGATE_PREDICTION_RETENTION_DAYS`.
 * Runs on the elected leader only, so two replicas never race on DDL.
 */
@Injectable()
export class PredictionPartitions implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly dataSource: DataSource,
    private readonly election: LeaderElection,
  ) {
    this.logger = logger.child({ component: 'prediction-partitions' });
  }

  onModuleInit(): void {
    this.election.every({ name: 'prediction-partitions', periodMs: MAINTENANCE_PERIOD_MS, run: () => this.maintain().then(() => undefined) });
    this.election.onChange((leading) => {
      if (leading) void this.maintain().catch((err) => this.logger.error({ err }, 'partition maintenance failed'));
    });
  }

  /**
   * Every replica makes sure today and tomorrow exist before it serves: a
   * record without a partition is refused as bad data and dropped, and the
   * leader may not be elected yet (or every replica was down for days).
   * Idempotent; a race with another replica's identical DDL is harmless.
   */
  async onApplicationBootstrap(): Promise<void> {
    for (const day of [Date.now(), Date.now() + DAY_MS]) {
      await this.ensureDay(day).catch((err) => this.logger.warn({ err: (err as Error).message }, 'could not create the prediction log partitions of today'));
    }
  }

  get retentionDays(): number {
    return this.config.telemetry.retentionDays;
  }

  /** Creates the missing days ahead and drops expired ones; returns what it dropped. */
  async maintain(now = Date.now()): Promise<{ dropped: string[] }> {
    const plan = partitionPlan(now, this.retentionDays, PARTITIONS_AHEAD_DAYS);
    const dropped: string[] = [];
    for (const table of PARTITIONED_TABLES) {
      for (const day of plan.create) await this.dataSource.query(createPartitionSql(table, day));
      for (const p of await this.partitions(table)) {
        if (p.day < plan.dropBefore) {
          await this.dataSource.query(`DROP TABLE IF EXISTS ${p.name}`);
          dropped.push(p.name);
        }
      }
    }
    // Performance buckets follow the log's retention (they are keyed by prediction time, not partitioned).
    for (const table of ['prediction_buckets', 'label_buckets']) await this.dataSource.query(`DELETE FROM ${table} WHERE bucket_start < $1`, [new Date(plan.dropBefore)]);
    if (dropped.length) this.logger.info({ dropped }, 'dropped prediction log partitions past retention');
    return { dropped };
  }

  /** Creates the partitions of one day in every table (tests and bulk loads of past days). */
  async ensureDay(ms: number): Promise<void> {
    for (const table of PARTITIONED_TABLES) await this.dataSource.query(createPartitionSql(table, dayStart(ms)));
  }

  /** The day partitions of `table`, oldest first. */
  async partitions(table: string): Promise<{ name: string; day: number }[]> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = $1 AND p.relnamespace = current_schema()::regnamespace ORDER BY c.relname`,
      [table],
    );
    return rows.flatMap((r) => {
      const day = partitionDay(table, r.name);
      return day === undefined ? [] : [{ name: r.name, day }];
    });
  }

  /**
   * Whether a prediction made at `ms` can still be in the log: not older than
   * the retention period, and not later than the days created ahead (no
   * Modelgate id comes from further in the future).
   */
  inHorizon(ms: number, now = Date.now()): boolean {
    return ms >= now - this.retentionDays * DAY_MS && ms < dayStart(now) + (PARTITIONS_AHEAD_DAYS + 1) * DAY_MS;
  }
}
