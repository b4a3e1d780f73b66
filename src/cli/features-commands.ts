import fs from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import { seg } from './client.js';
import { action } from './context.js';
import { CsvBatcher } from './csv-batches.js';
import { keyValues, table } from './table.js';



/** `modelgate features`: feature views and loading their rows from a data pipeline's CSV. */
export function registerFeaturesCommands(program: Command): void {
  const features = program.command('features').description('online feature views: list, show, load rows from CSV, read one entity');
  features
    .command('list')
    .description('list feature views')
    .action(
      action(async (ctx) => {
        const page = await ctx.api.get('/api/v1/feature-views', { limit: 500 });
        ctx.out(page, (p) =>
          table(
            ['view', 'entities', 'features', 'ttl_s', 'store'],
            p.items.map((v: any) => [v.name, v.entities, Object.keys(v.features).length, v.ttl_s, v.store]),
          ),
        );
      }),
    );
  features
    .command('load <view> <file>')
    .description('upsert the rows of a CSV file (header: entity keys, features, optional event_time), in batches, with a progress bar')
    .option('--batch-rows <n>', 'rows per request', (v) => Number(v), 5_000)
    .option('--no-progress', 'no progress bar')
    .action(
      action(async (ctx, view: string, file: string, o: { batchRows: number; progress: boolean }) => {
        if (!fs.existsSync(file)) throw new CliError('FILE_NOT_FOUND', `${file}: no such file`);
        if (!Number.isInteger(o.batchRows) || o.batchRows < 1 || o.batchRows > 50_000) throw new CliError('INVALID_ARGUMENT', '--batch-rows must be an integer from 1 to 50000');
        const total = fs.statSync(file).size;
        const bar = o.progress && process.stderr.isTTY ? new SingleBar({ format: 'loading [{bar}] {percentage}% {rows} rows', stream: process.stderr }) : undefined;
        bar?.start(total, 0, { rows: 0 });
        const sum = { view, rows: 0, written: 0, older: 0, requests: 0 };
        const send = async (batch: string) => {
          const r = await ctx.api.putText(`/api/v1/feature-views/${seg(view)}/rows`, batch, 'text/csv');
          sum.rows += r.rows;
          sum.written += r.written;
          sum.older += r.older;
          sum.requests += 1;
        };
        const batcher = new CsvBatcher(o.batchRows);
        let read = 0;
        try {
          for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
            read += Buffer.byteLength(chunk as string);
            // One request at a time: a refused batch stops the load at a known row.
            for (const batch of batcher.push(chunk as string)) await send(batch);
            bar?.update(read, { rows: sum.rows });
          }
          for (const batch of batcher.end()) await send(batch);
          bar?.update(total, { rows: sum.rows });
        } catch (err) {
          if (err instanceof CliError) throw new CliError(err.code, `${err.message} (after ${sum.rows} rows were loaded)`, err.exitCode);
          throw err;
        } finally {
          bar?.stop();
        }
        ctx.out(sum, (s) => `loaded ${s.rows} rows into ${s.view} in ${s.requests} requests: ${s.written} written, ${s.older} older than what the store holds`);
      }),
    );
  features
    .command('get <view> <entity>')
    .description("one entity's stored values, their age and whether they are stale (several keys: ids joined by commas)")
    .action(
      action(async (ctx, view: string, entity: string) => {
        const r = await ctx.api.get(`/api/v1/feature-views/${seg(view)}/rows/${seg(entity)}`);
        ctx.out(r, (x) => `${keyValues({ view: x.view, entity: x.entity, event_time: x.event_time, age_s: Math.round(x.age_s), stale: x.stale })}\n\n${table(['feature', 'value'], Object.entries(x.values))}`);
      }),
    );
}
