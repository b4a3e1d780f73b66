import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { CliError } from './cli-error.js';
import { parseInteger, parseList, parseMetrics, parsePairs } from './args.js';
import { seg } from './client.js';
import { action } from './context.js';
import { keyValues, table } from './table.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `models …`, `versions …` and `aliases …`. */
export function registerRegistryCommands(program: Command): void {
  const models = program.command('models').description('register, list, inspect and delete models');
  models
    .command('create <name>')
    .description('register a model')
    .option('--task <task>', 'binary_classification, multiclass_classification, regression or tensor', 'binary_classification')
    .option('--description <text>')
    .option('--owner <owner>')
    .option('--tag <k=v>', 'a tag (repeatable)', collect, [])
    .action(
      action(async (ctx, name: string, o: { task: string; description?: string; owner?: string; tag: string[] }) => {
        const m = await ctx.api.post('/api/v1/models', { name, task: o.task, description: o.description, owner: o.owner, tags: parsePairs(o.tag, 'tag') });
        ctx.out(m, (x) => `created model ${x.name} (${x.task})`);
      }),
    );
  models
    .command('list')
    .description('list models')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'the next_cursor of a previous page')
    .action(
      action(async (ctx, o: { limit: string; cursor?: string }) => {
        const r = await ctx.api.get('/api/v1/models', { limit: o.limit, cursor: o.cursor });
        ctx.out(r, (x) =>
          [
            table(['name', 'task', 'latest', 'aliases', 'owner', 'updated'], x.models.map((m: any) => [m.name, m.task, m.latest_version, m.aliases, m.owner, m.updated_at])),
            ...(x.next_cursor ? [`more: --cursor ${x.next_cursor}`] : []),
          ].join('\n'),
        );
      }),
    );
  models
    .command('show <name>')
    .description('show a model')
    .action(action(async (ctx, name: string) => ctx.out(await ctx.api.get(`/api/v1/models/${seg(name)}`), (m) => keyValues(m))));
  models
    .command('rm <name>')
    .description('delete a model (refused while it serves)')
    .action(
      action(async (ctx, name: string) => {
        const r = await ctx.api.delete(`/api/v1/models/${seg(name)}`);
        ctx.out(r ?? { deleted: name }, () => `deleted model ${name}`);
      }),
    );

  const versions = program.command('versions').description('upload, list, inspect and download versions');
  versions
    .command('upload <model> <file>')
    .description('upload an ONNX file as the next version')
    .option('--baseline <file>', 'held-out rows (CSV or JSON) or a precomputed sketch')
    .option('--metrics <k=v,...>', 'validation metrics, e.g. auc=0.91', collect, [])
    .option('--feature-names <a,b,...>', 'ordered feature names (else the ONNX metadata)')
    .option('--categorical <a,b,...>', 'categorical features')
    .option('--label-column <name>')
    .option('--tag <k=v>', 'a tag (repeatable)', collect, [])
    .option('--description <text>')
    .option('--no-progress', 'no progress bar')
    .action(
      action(async (ctx, model: string, file: string, o: any) => {
        const metadata = {
          feature_names: parseList(o.featureNames),
          categorical_features: parseList(o.categorical),
          label_column: o.labelColumn,
          metrics: o.metrics.length ? parseMetrics(o.metrics) : undefined,
          tags: o.tag.length ? parsePairs(o.tag, 'tag') : undefined,
          description: o.description,
        };
        for (const f of [file, o.baseline].filter(Boolean)) if (!fs.existsSync(f)) throw new CliError('FILE_NOT_FOUND', `${f}: no such file`);
        const bar = o.progress && process.stderr.isTTY ? new SingleBar({ format: 'uploading [{bar}] {percentage}% {value}/{total} bytes', stream: process.stderr }) : undefined;
        let started = false;
        try {
          const v = await ctx.api.upload(
            `/api/v1/models/${seg(model)}/versions`,
            [
              // A text part: @fastify/multipart would pre-parse an application/json one.
              { field: 'metadata', value: JSON.stringify(metadata) },
              { field: 'file', file },
              ...(o.baseline ? [{ field: 'baseline', file: o.baseline as string, contentType: path.extname(o.baseline) === '.json' ? 'application/json' : 'text/csv' }] : []),
            ],
            (sent, total) => {
              if (!bar) return;
              if (!started) bar.start(total, 0);
              started = true;
              bar.update(sent);
            },
          );
          bar?.stop();
          ctx.out(v, (x) => `uploaded ${x.model} version ${x.version} (sha256 ${x.artifact.sha256.slice(0, 12)}…, ${x.feature_names.length} features)`);
        } finally {
          if (started) bar?.stop();
        }
      }),
    );
  versions
    .command('list <model>')
    .description('list versions, newest first')
    .option('--limit <n>', 'page size', '100')
    .action(
      action(async (ctx, model: string, o: { limit: string }) => {
        const r = await ctx.api.get(`/api/v1/models/${seg(model)}/versions`, { limit: o.limit });
        ctx.out(r, (x) =>
          table(['version', 'status', 'aliases', 'metrics', 'sha256', 'created'], x.versions.map((v: any) => [v.version, v.status, v.aliases, v.metrics, v.artifact.sha256.slice(0, 12), v.created_at])),
        );
      }),
    );
  versions
    .command('show <model> <version>')
    .description('show a version')
    .action(
      action(async (ctx, model: string, version: string) =>
        ctx.out(await ctx.api.get(`/api/v1/models/${seg(model)}/versions/${parseInteger(version, 'version')}`), (v) => keyValues(v)),
      ),
    );
  versions
    .command('download <model> <version>')
    .description('download the ONNX artifact and check its sha256')
    .option('-o, --output <file>', 'where to write it', '')
    .action(
      action(async (ctx, model: string, version: string, o: { output: string }) => {
        const file = o.output || `${model}-v${parseInteger(version, 'version')}.onnx`;
        const headers = await ctx.api.download(`/api/v1/models/${seg(model)}/versions/${parseInteger(version, 'version')}/artifact`, file);
        const sha256 = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
        const expected = headers.get('x-artifact-sha256');
        if (expected && expected !== sha256) throw new CliError('CHECKSUM_MISMATCH', `${file}: sha256 ${sha256}, expected ${expected}`);
        ctx.out({ file, sha256, bytes: fs.statSync(file).size }, (x) => `wrote ${x.file} (${x.bytes} bytes, sha256 ${x.sha256})`);
      }),
    );

  const aliases = program.command('aliases').description('move and remove aliases');
  aliases
    .command('set <model> <alias> <version>')
    .option('--reason <text>')
    .option('--force', 'pass failed promotion gates (needs --reason)')
    .action(
      action(async (ctx, model: string, alias: string, version: string, o: { reason?: string; force?: boolean }) => {
        const r = await ctx.api.put(`/api/v1/models/${seg(model)}/aliases/${seg(alias)}`, { version: parseInteger(version, 'version'), reason: o.reason, ...(o.force ? { force: true } : {}) });
        ctx.out(r, () => `${model}: ${alias} -> ${version}`);
      }),
    );
  aliases
    .command('rm <model> <alias>')
    .option('--reason <text>')
    .action(
      action(async (ctx, model: string, alias: string, o: { reason?: string }) => {
        const r = await ctx.api.delete(`/api/v1/models/${seg(model)}/aliases/${seg(alias)}`, { reason: o.reason });
        ctx.out(r, () => `${model}: removed ${alias}`);
      }),
    );
}
