import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import copyStreams from 'pg-copy-streams';
import { DataSource } from 'typeorm';

/**
 * The telemetry writers' I/O: a parameterised statement, and a binary COPY
 * from buffers on one pooled connection. A COPY cannot skip rows that are
 * already stored, so `copySkippingStored` copies into a session-local
 * staging table and moves the rows with INSERT ... ON CONFLICT DO NOTHING,
 * all in one transaction (the rare retry after a lost commit answer).
 */
@Injectable()
export class TelemetryDatabase {
  constructor(private readonly dataSource: DataSource) {}

  async query(sql: string, params: unknown[]): Promise<void> {
    await this.dataSource.query(sql, params);
  }

  /** `COPY table (columns) FROM STDIN (FORMAT binary)` fed with `parts` in order. */
  async copy(table: string, columns: string, parts: Buffer[]): Promise<void> {
    await this.withClient((client) => copyIn(client, `COPY ${table} (${columns}) FROM STDIN (FORMAT binary)`, parts));
  }

  async copySkippingStored(table: string, columns: string, parts: Buffer[]): Promise<void> {
    const staging = `${table}_incoming`;
    await this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${staging} (LIKE ${table}) ON COMMIT DELETE ROWS`);
        await copyIn(client, `COPY ${staging} (${columns}) FROM STDIN (FORMAT binary)`, parts);
        await client.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${staging} ON CONFLICT DO NOTHING`);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async withClient(fn: (client: PgClient) => Promise<void>): Promise<void> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      await fn((await runner.connect()) as PgClient);
    } finally {
      await runner.release();
    }
  }
}

/** The slice of node-postgres' client used here. */
interface PgClient {
  query(sql: string): Promise<unknown>;
  query<S extends NodeJS.WritableStream>(stream: S): S;
}

function copyIn(client: PgClient, sql: string, parts: Buffer[]): Promise<void> {
  return pipeline(Readable.from(parts, { objectMode: false }), client.query(copyStreams.from(sql)));
}
