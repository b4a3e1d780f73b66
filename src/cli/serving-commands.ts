import type { Command } from 'commander';
import { endsAt, parseInteger, parseRoutes } from './args.js';
import { seg } from './client.js';
import { action } from './context.js';
import { CliError } from './cli-error.js';
import { alertsTable, driftTable, performanceTable, splitPerformanceTable, windowTable } from './monitor-tables.js';
import { cellText, table } from './table.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function policyText(x: any): string {
  const p = x.policy;
  const lines = [`revision ${x.revision}`, `aliases  ${cellText(x.aliases)}`];
  if (!p) return [...lines, 'policy   none: unpinned traffic goes to the production alias'].join('\n');
  return [
    ...lines,
    table(['variant', 'target', 'weight'], p.routes.map((r: any) => [r.name ?? (r.version !== undefined ? `v${r.version}` : r.alias), r.version ?? r.alias, r.weight])),
    ...(p.sticky ? [`sticky   ${p.sticky}`] : []),
    ...(p.shadow?.length ? [`shadow   ${p.shadow.join(',')}`] : []),
    ...(p.fallback !== undefined && p.fallback !== null ? [`fallback ${p.fallback}`] : []),
    ...(p.timeout_ms ? [`timeout  ${p.timeout_ms} ms`] : []),
  ].join('\n');
}

/** `traffic`, `rollback`, `history`, and the monitor's `drift`, `performance` and `alerts`. */
export function registerServingCommands(program: Command): void {
  const traffic = program.command('traffic').description('show or set the traffic policy');
  traffic
    .command('show <model>')
    .action(action(async (ctx, model: string) => ctx.out(await ctx.api.get(`/api/v1/models/${seg(model)}/traffic`), policyText)));
  traffic
    .command('set <model> <routes...>')
    .description('weighted routes as version=weight or alias=weight, e.g. 3=90 4=10')
    .option('--sticky <key>', 'header:<name> or field:<name>')
    .option('--shadow <version>', 'a shadow version (repeatable)', collect, [])
    .option('--fallback <version>')
    .option('--timeout-ms <ms>')
    .option('--reason <text>')
    .action(
      action(async (ctx, model: string, routes: string[], o: any) => {
        const body = {
          routes: parseRoutes(routes),
          ...(o.sticky ? { sticky: o.sticky } : {}),
          ...(o.shadow.length ? { shadow: o.shadow.map((v: string) => parseInteger(v, 'shadow version')) } : {}),
          ...(o.fallback ? { fallback: parseInteger(o.fallback, 'fallback version') } : {}),
          ...(o.timeoutMs ? { timeout_ms: parseInteger(o.timeoutMs, 'timeout') } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
        };
        ctx.out(await ctx.api.put(`/api/v1/models/${seg(model)}/traffic`, body), policyText);
      }),
    );

  program
    .command('rollback <model>')
    .description('restore the previous serving revision (twice returns to where you were)')
    .option('--to-revision <n>')
    .option('--reason <text>')
    .action(
      action(async (ctx, model: string, o: { toRevision?: string; reason?: string }) => {
        const body = { ...(o.toRevision ? { to_revision: parseInteger(o.toRevision, 'revision') } : {}), ...(o.reason ? { reason: o.reason } : {}) };
        const r = await ctx.api.post(`/api/v1/models/${seg(model)}/rollback`, body);
        ctx.out(r, (x) => `${model}: restored revision ${x.restored_revision} as revision ${x.revision}; aliases ${cellText(x.after?.aliases)}`);
      }),
    );

  program
    .command('history <model>')
    .description('alias moves, traffic changes and rollbacks, newest first')
    .option('--limit <n>', 'how many', '50')
    .action(
      action(async (ctx, model: string, o: { limit: string }) => {
        const r = await ctx.api.get(`/api/v1/models/${seg(model)}/history`, { limit: o.limit });
        ctx.out(r, (x) => table(['revision', 'change', 'alias', 'actor', 'reason', 'at'], x.revisions.map((v: any) => [v.revision, v.change, v.alias, v.actor, v.reason, v.created_at])));
      }),
    );

  program
    .command('drift <model>')
    .description("each window's drift verdict per series, with the drifted features and their scores")
    .option('--version <v>')
    .option('--variant <name>')
    .option('--limit <n>')
    .option('--window <start>', "one window's per-feature table (method, score, threshold, drifted); the WINDOW column's time")
    .action(
      action(async (ctx, model: string, o: any) => {
        const route = `/api/v1/models/${seg(model)}/drift`;
        if (o.window === undefined) {
          ctx.out(await ctx.api.get(route, { version: o.version, variant: o.variant, limit: o.limit }), driftTable);
          return;
        }
        const start = Date.parse(o.window);
        if (Number.isNaN(start)) throw new CliError('INVALID_ARGUMENT', `--window ${o.window}: not a time (give the WINDOW column's value, e.g. 2026-12-07T15:56:30Z)`);
        // `to` is exclusive and compares window starts: [start, start + 1 ms) is that window alone.
        const window = { from: new Date(start).toISOString(), to: new Date(start + 1).toISOString() };
        ctx.out(await ctx.api.get(route, { version: o.version, variant: o.variant, limit: o.limit ?? '500', ...window }), (x) => windowTable(x, window.from));
      }),
    );
  program
    .command('performance <model>')
    .description("live AUC, labels, validation AUC and DeLong's p-value per version and variant")
    .option('--version <v>')
    .option('--variant <name>')
    .option('--from <time>', 'RFC 3339; default 24 h before --to')
    .option('--to <time>', 'RFC 3339; default now')
    .option('--split <dimension>', 'feature_source: one table per source (sent, looked_up) and DeLong of looked_up against sent')
    .action(
      action(async (ctx, model: string, o: any) =>
        ctx.out(
          await ctx.api.get(`/api/v1/models/${seg(model)}/performance`, { version: o.version, variant: o.variant, from: o.from, to: o.to, split: o.split }),
          (answer: any) => (o.split ? splitPerformanceTable(answer) : performanceTable(answer)),
        ),
      ),
    );

  const alerts = program.command('alerts').description('list, acknowledge and silence alerts');
  alerts
    .command('list', { isDefault: true })
    .option('--model <name>')
    .option('--state <state>', 'firing, acknowledged or resolved')
    .option('--limit <n>')
    .action(action(async (ctx, o: any) => ctx.out(await ctx.api.get('/api/v1/alerts', { model: o.model, state: o.state, limit: o.limit }), alertsTable)));
  alerts
    .command('ack <id>')
    .option('--note <text>')
    .action(action(async (ctx, id: string, o: { note?: string }) => ctx.out(await ctx.api.post(`/api/v1/alerts/${seg(id)}/ack`, { note: o.note }), () => `acknowledged ${id}`)));
  alerts
    .command('silence')
    .description('stop delivering matching alerts for a while')
    .option('--model <pattern>')
    .option('--rule <rule>')
    .option('--severity <severity>')
    .requiredOption('--for <duration>', 'e.g. 30m, 2h, 1d')
    .requiredOption('--reason <text>')
    .action(
      action(async (ctx, o: any) => {
        const matchers = Object.fromEntries(Object.entries({ model: o.model, rule: o.rule, severity: o.severity }).filter(([, v]) => v !== undefined));
        const r = await ctx.api.post('/api/v1/silences', { matchers, ends_at: endsAt(o.for), reason: o.reason });
        ctx.out(r, (x) => `silenced ${cellText(matchers)} until ${x?.ends_at ?? endsAt(o.for)}`);
      }),
    );
}
