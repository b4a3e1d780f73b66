import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import type { DriftCheckRecord } from '../monitoring/drift/drift-check.record.js';
import { DriftChecksStore } from '../monitoring/drift/drift-checks.store.js';
import { estimatePerformance } from '../monitoring/estimate/cbpe.js';
import { PerformanceEstimates } from '../monitoring/performance/performance-estimates.js';
import { PerformanceReader } from '../monitoring/performance/performance-reader.js';
import { judgeWindow, mergeFigures, type WindowFigures, type WindowVerdict } from './rollout-analysis.js';
import { judgeEstimatedQuality, judgeQuality, type Labelled } from './quality-check.js';
import { BASELINE_VARIANT, CANDIDATE_VARIANT } from './rollout-transitions.js';
import { RolloutsStore, type RolloutRow } from './rollouts.store.js';

/** Before a rollout that starts at 100%, the baseline's reference is its kept windows of this long before. */
const REFERENCE_LOOKBACK_MS = 60 * 60 * 1000;

const figures = (c: DriftCheckRecord): WindowFigures => ({
  requests: c.requests,
  errors: c.errors,
  latency_counts: c.latency_histogram?.counts ?? null,
  judged: c.judged,
  prediction_drifted: c.prediction === null ? null : c.prediction_drifted,
});

/**
 * Reads the monitor's figures for a rollout's step and judges each finished
 * window once: the candidate's series against the baseline's in the same
 * window (at 100%, against the baseline's kept windows from before the
 * step), and the step's labelled predictions so far for the quality check.
 */
@Injectable()
export class RolloutJudge {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly store: RolloutsStore,
    private readonly checks: DriftChecksStore,
    private readonly performance: PerformanceReader,
    private readonly estimates: PerformanceEstimates,
  ) {}

  /** Every verdict of the current step, oldest first, after judging the windows that finished since the last run. */
  async judgeNewWindows(r: RolloutRow, now: number): Promise<WindowVerdict[]> {
    const step = r.current_step;
    const stepStart = r.step_started_at!;
    // A resumed step starts afresh: windows judged before its pause no longer count.
    const done = (await this.store.windows(r.id, step)).filter((w) => w.window_start >= stepStart.getTime());
    const judged = new Set(done.map((w) => w.window_start));
    const candidate = (await this.checks.list({ model: r.model_name, version: r.candidate_version, variant: CANDIDATE_VARIANT, from: stepStart, limit: 500 })).reverse();
    const fresh = candidate.filter((c) => !judged.has(Date.parse(c.window_start)));
    if (!fresh.length) return done;
    const { task, windowS } = await this.store.modelFacts(r.model_id);
    const full = r.steps[step] >= 100;
    const baselineRows = full ? [] : await this.checks.list({ model: r.model_name, version: r.baseline_version, variant: BASELINE_VARIANT, from: stepStart, limit: 500 });
    const reference = full ? await this.keptReference(r, stepStart) : null;
    // The monitor writes a window's rows one series at a time: a baseline row still missing this long after the window is absent.
    const settleMs = 4 * this.config.monitoring.flushMs + 1_000;
    const out: WindowVerdict[] = [...done];
    for (const c of fresh) {
      const start = Date.parse(c.window_start);
      const end = Date.parse(c.window_end);
      const b = full ? reference!.figures : baselineRows.find((x) => Date.parse(x.window_start) === start);
      if (!full && !b && now < end + settleMs) break;
      const quality = await this.quality(r, task, windowS, stepStart, new Date(end), full ? reference!.labelRange : null, (now - stepStart.getTime()) / 1000);
      const verdict: WindowVerdict = {
        window_start: start,
        window_end: end,
        checks: judgeWindow(figures(c), b ? (full ? (b as WindowFigures) : figures(b as DriftCheckRecord)) : null, r.analysis, quality),
      };
      await this.store.insertWindow(r.id, step, verdict);
      out.push(verdict);
    }
    return out;
  }

  /**
   * The baseline's kept figures for the 100% step, where it serves nothing:
   * its windows during the rollout's earlier steps, or when it had none, its
   * windows of the hour before the rollout.
   */
  private async keptReference(r: RolloutRow, stepStart: Date): Promise<{ figures: WindowFigures | null; labelRange: { from: Date; to: Date; variant?: string } }> {
    const from = new Date(r.created_at.getTime() - REFERENCE_LOOKBACK_MS);
    const rows = await this.checks.list({ model: r.model_name, version: r.baseline_version, from, to: stepStart, limit: 500 });
    const during = rows.filter((x) => x.variant === BASELINE_VARIANT && Date.parse(x.window_start) >= r.created_at.getTime());
    if (during.length) {
      return { figures: mergeFigures(during.map(figures)), labelRange: { from: r.created_at, to: stepStart, variant: BASELINE_VARIANT } };
    }
    const before = rows.filter((x) => x.variant !== 'shadow' && x.variant !== CANDIDATE_VARIANT && Date.parse(x.window_start) < r.created_at.getTime());
    return { figures: mergeFigures(before.map(figures)), labelRange: { from, to: r.created_at } };
  }

  private async quality(
    r: RolloutRow,
    task: string,
    windowS: number,
    stepStart: Date,
    to: Date,
    reference: { from: Date; to: Date; variant?: string } | null,
    stepAgeS: number,
  ) {
    if (!r.analysis.auc) return null;
    const rows = (version: number, from: Date, until: Date, variant?: string) =>
      this.performance.labelledRows({ model: r.model_name, version, variant, from, to: until }) as Promise<Labelled[]>;
    const candidate = await rows(r.candidate_version, stepStart, to, CANDIDATE_VARIANT);
    const baseline = reference
      ? (await rows(r.baseline_version, reference.from, reference.to, reference.variant)).filter((x: any) => x.variant !== 'shadow' && x.variant !== CANDIDATE_VARIANT)
      : await rows(r.baseline_version, stepStart, to, BASELINE_VARIANT);
    const judged = judgeQuality(task, candidate, baseline, r.analysis, stepAgeS);
    // Labels short: with `allow_estimate`, CBPE's estimates of both sides over the same spans stand in.
    if (judged?.check === 'auc' && judged.outcome !== 'fail' && judged.value === null && r.analysis.auc.allow_estimate && task === 'binary_classification') {
      const c = await this.estimatedAuc(r.model_name, r.candidate_version, CANDIDATE_VARIANT, stepStart, to);
      const b = reference
        ? reference.variant
          ? await this.estimatedAuc(r.model_name, r.baseline_version, reference.variant, reference.from, reference.to)
          : null
        : await this.estimatedAuc(r.model_name, r.baseline_version, BASELINE_VARIANT, stepStart, to);
      return judgeEstimatedQuality(c, b, r.analysis.auc, { ...judged.details, labels_note: judged.note }) ?? judged;
    }
    return judged;
  }

  /** CBPE's estimated AUC of one series over a span, or null when its version cannot be estimated. */
  private async estimatedAuc(model: string, version: number, variant: string, from: Date, to: Date) {
    const [h, calibrations] = await Promise.all([this.performance.predictionScoreHistogram(model, version, variant, from, to), this.estimates.calibrations(model, [version])]);
    const e = estimatePerformance(calibrations.get(version), h.bins, { maxEce: this.estimates.maxEce });
    return e.estimated ? e.estimated_auc : null;
  }
}
