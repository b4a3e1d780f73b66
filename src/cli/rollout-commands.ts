import type { Command } from 'commander';
import { parseInteger, parseList } from './args.js';
import { CliError } from './cli-error.js';
import { seg } from './client.js';
import { action } from './context.js';
import { rolloutStatusText } from './rollout-status.js';

/** A version number, or an alias name. */
const candidateOf = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);

function analysisOf(o: any): Record<string, unknown> {
  let analysis: Record<string, unknown> = {};
  if (o.analysis) {
    try {
      analysis = JSON.parse(o.analysis);
    } catch {
      throw new CliError('INVALID_ARGUMENT', '--analysis must be a JSON object');
    }
  }
  const auc: Record<string, unknown> = typeof analysis.auc === 'object' && analysis.auc ? { ...(analysis.auc as object) } : {};
  if (o.minLabels) auc.min_labels = parseInteger(o.minLabels, 'min labels');
  if (o.margin) auc.margin = Number(o.margin);
  if (o.confidence) auc.confidence = Number(o.confidence);
  if (Object.keys(auc).length) analysis.auc = auc;
  if (o.auc === false) analysis.auc = null;
  if (o.failureThreshold) analysis.failure_threshold = parseInteger(o.failureThreshold, 'failure threshold');
  if (o.labelTimeoutS) analysis.label_timeout_s = parseInteger(o.labelTimeoutS, 'label timeout');
  if (o.onLabelTimeout) analysis.on_label_timeout = o.onLabelTimeout;
  return analysis;
}

/** `rollout start|status|pause|resume|abort|promote`. */
export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('progressive rollouts: traffic moves in steps while the candidate holds');
  rollout
    .command('start <model> <candidate>')
    .description('roll a version (or an alias) out against what production serves')
    .option('--steps <list>', 'candidate weights in percent, ending at 100', '5,25,50,100')
    .option('--step-min-duration-s <s>', 'how long every check must pass before a step advances')
    .option('--analysis <json>', 'the whole analysis object; the flags below override its fields')
    .option('--min-labels <n>')
    .option('--margin <x>', 'non-inferiority margin of the AUC (RMSE: share of the baseline MSE)')
    .option('--confidence <x>')
    .option('--no-auc', 'no quality check (no labels will come)')
    .option('--failure-threshold <n>')
    .option('--label-timeout-s <s>')
    .option('--on-label-timeout <wait|pass>')
    .option('--reason <text>')
    .action(
      action(async (ctx, model: string, candidate: string, o: any) => {
        const body = {
          candidate: candidateOf(candidate),
          steps: parseList(o.steps)!.map((w) => parseInteger(w, 'step')),
          ...(o.stepMinDurationS ? { step_min_duration_s: parseInteger(o.stepMinDurationS, 'step duration') } : {}),
          analysis: analysisOf(o),
          ...(o.reason ? { reason: o.reason } : {}),
        };
        ctx.out(await ctx.api.post(`/api/v1/models/${seg(model)}/rollouts`, body), (r: any) => `rollout ${r.id} of ${model}: ${r.state}, version ${r.candidate_version} against ${r.baseline_version}`);
      }),
    );
  rollout
    .command('status <model> [id]')
    .description('a table of the steps and the latest checks (default: the newest rollout)')
    .action(
      action(async (ctx, model: string, id: string | undefined) => {
        let rid = id ? parseInteger(id, 'rollout id') : undefined;
        if (rid === undefined) {
          const list: any = await ctx.api.get(`/api/v1/models/${seg(model)}/rollouts`, { limit: 1 });
          if (!list.rollouts.length) throw new CliError('INVALID_ARGUMENT', `model "${model}" has no rollout`);
          rid = list.rollouts[0].id as number;
        }
        ctx.out(await ctx.api.get(`/api/v1/models/${seg(model)}/rollouts/${rid}`), rolloutStatusText);
      }),
    );
  for (const verb of ['pause', 'resume', 'abort', 'promote'] as const) {
    rollout
      .command(`${verb} <model> <id>`)
      .option('--reason <text>')
      .action(
        action(async (ctx, model: string, id: string, o: { reason?: string }) => {
          const r = await ctx.api.post(`/api/v1/models/${seg(model)}/rollouts/${parseInteger(id, 'rollout id')}/${verb}`, o.reason ? { reason: o.reason } : {});
          ctx.out(r, rolloutStatusText);
        }),
      );
  }
}
