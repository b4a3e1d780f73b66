import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_LOGGER } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { AlertStore, type SeriesRule, type StoredRuleState } from './alert-store.js';
import { alertPolicy, type AlertPolicy, type RuleName } from './rules/alert-policy.js';
import { CHECK_RULES, judgeAuc, judgeCheck, type Judgement } from './rules/conditions.js';
import { judgeEstimatedAuc } from './rules/estimated-auc.js';
import { step, stopServing } from './rules/lifecycle.js';
import { DriftChecksSource } from './sources/drift-checks.source.js';
import { PerformanceSource } from './sources/performance.source.js';
import { type ModelAlerting, RegistrySource } from './sources/registry.source.js';
import { RolloutsSource } from './sources/rollouts.source.js';

/** A rollout's abort pages once, keyed by the rollout; only an acknowledgement resolves it. */
export const ROLLOUT_ABORTED = 'rollout_aborted';

const CURSOR = 'drift_checks';
const BATCH = 200;
/**
 * How far back performance windows are looked at each run: labels arrive
 * late (days, in lending and fraud), so a window is judged once it has
 * `min_labels`, within this horizon. Only label counts are read for it.
 */
const AUC_LOOKBACK_MS = 48 * 60 * 60 * 1000;
/** How many ended windows back the `estimated_auc` rule looks: estimates need no labels, so a window is judged as soon as it ends. */
const ESTIMATE_LOOKBACK_WINDOWS = 12;

/**
 * The elected alert evaluation: drift-check windows after the durable
 * cursor and the performance reader's AUC windows go through the rules and
 * the lifecycle machine; a version that stops serving resolves its alerts.
 * Each window's transitions, outbox rows and the cursor commit in one
 * transaction, and a window at or before a key's last judged window is
 * skipped, so a run cut short by a lost election repeats nothing.
 */
@Injectable()
export class AlertEvaluator {
  /** When each model's performance windows were last read: at most twice a window. */
  private readonly aucReadAt = new Map<string, number>();
  /** When each model's estimate windows were last read: at most twice a window. */
  private readonly estimateReadAt = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: AlertStore,
    private readonly checks: DriftChecksSource,
    private readonly performance: PerformanceSource,
    private readonly registry: RegistrySource,
    private readonly rollouts: RolloutsSource,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    if (!(await this.checks.available())) return;
    const models = new Map<string, ModelAlerting | null>();
    const model = async (name: string) => {
      if (!models.has(name)) models.set(name, await this.registry.model(name));
      return models.get(name)!;
    };
    await this.evaluateChecks(model);
    await this.evaluateAuc(model);
    await this.evaluateEstimatedAuc(model);
    await this.pageAbortedRollouts();
    await this.resolveNotServing(model);
  }

  /**
   * Each aborted rollout fires `rollout_aborted` once: its rule state
   * remembers the abort it paged for (`last_window_end`), so a repeated run
   * or a new leader fires nothing twice. The version that stopped serving
   * does not resolve it; acknowledging does (AlertsService).
   */
  private async pageAbortedRollouts(): Promise<void> {
    for (const r of await this.rollouts.recentlyAborted()) {
      const s: SeriesRule = { model: r.model, version: r.candidate_version, variant: `rollout:${r.id}`, rule: ROLLOUT_ABORTED };
      await this.dataSource.transaction(async (em) => {
        const state = await this.store.lockState(em, s);
        if (state.lastWindowEnd) return;
        const summary = `rollout ${r.id} of ${r.model} aborted at step ${r.step} (${r.weight}% to version ${r.candidate_version}): ${r.reason ?? 'no reason recorded'}`;
        const alertId = await this.store.fire(em, {
          ...s,
          severity: r.severity ?? 'critical',
          summary,
          details: { rollout: r.id, candidate_version: r.candidate_version, baseline_version: r.baseline_version, step: r.step, weight: r.weight, reason: r.reason },
          runbookUrl: null,
        });
        this.logger.info({ dedup_key: `${s.model}/${s.version}/${s.variant}/${s.rule}`, summary }, 'alert firing');
        await this.store.saveState(em, s, { phase: 'firing', activeStreak: 0, clearStreak: 0, alertId, lastWindowEnd: r.finished_at });
      });
    }
  }

  private async evaluateChecks(model: (name: string) => Promise<ModelAlerting | null>): Promise<void> {
    for (;;) {
      const cursor = await this.checks.loadCursor(this.dataSource.manager, CURSOR);
      const rows = await this.checks.after(cursor, BATCH);
      for (const row of rows) {
        const m = await model(row.model);
        const policy = alertPolicy(m?.policy);
        const previousP99 = m?.previousProduction != null && m.previousProduction !== row.version ? await this.checks.servedP99Ms(row.model, m.previousProduction) : null;
        await this.dataSource.transaction(async (em) => {
          // A model deleted since the check, or a version no longer serving, gets no new alerts.
          if (m && m.serving.has(row.version)) {
            for (const rule of CHECK_RULES) await this.apply(em, { ...row, rule }, policy, row.windowEnd, judgeCheck(rule, policy, row, previousP99));
          }
          await this.checks.saveCursor(em, CURSOR, row.cursor);
        });
      }
      if (rows.length < BATCH) return;
    }
  }

  private async evaluateAuc(model: (name: string) => Promise<ModelAlerting | null>): Promise<void> {
    const now = Date.now();
    for (const name of await this.registry.modelNames()) {
      const m = await model(name);
      if (!m) continue;
      const policy = alertPolicy(m.policy);
      if (policy.aucMin === null && !m.hasValidationAuc) continue;
      const windowS = typeof m.policy.window_seconds === 'number' ? m.policy.window_seconds : 300;
      if (now - (this.aucReadAt.get(name) ?? 0) < (windowS * 1000) / 2) continue;
      this.aucReadAt.set(name, now);
      const judged = await this.lastJudged(name);
      const windows = await this.performance.labelledWindows(name, new Date(now - AUC_LOOKBACK_MS), new Date(now), windowS);
      windows.sort((a, b) => a.windowEnd.getTime() - b.windowEnd.getTime());
      // Each window is judged once, in order, as its labels reach min_labels; a late label counts in its prediction's window.
      for (const w of windows) {
        if (!m.serving.has(w.version) || w.windowEnd.getTime() > now || w.labels < policy.minLabels) continue;
        if (w.windowEnd.getTime() <= (judged.get(`${w.version}\u0000${w.variant}`) ?? -Infinity)) continue;
        const b = await this.performance.window(name, w.version, w.variant, w.windowStart, w.windowEnd);
        if (!b) continue;
        const judgement = judgeAuc(policy, b);
        if (!judgement.judged) continue;
        await this.dataSource.transaction((em) => this.apply(em, { model: name, version: b.version, variant: b.variant, rule: 'auc' }, policy, b.windowEnd, judgement));
      }
    }
  }

  /**
   * The `estimated_auc` rule, off unless the policy sets
   * `estimated_auc_min` or `estimated_auc_margin`: each ended window of a
   * binary series is judged once, in order, from its scores alone (CBPE),
   * when its version's calibration allows an estimate.
   */
  private async evaluateEstimatedAuc(model: (name: string) => Promise<ModelAlerting | null>): Promise<void> {
    const now = Date.now();
    for (const name of await this.registry.modelNames()) {
      const m = await model(name);
      if (!m) continue;
      const policy = alertPolicy(m.policy);
      if (policy.estimatedAucMin === null && (policy.estimatedAucMargin === null || !m.hasValidationAuc)) continue;
      const windowS = typeof m.policy.window_seconds === 'number' ? m.policy.window_seconds : 300;
      if (now - (this.estimateReadAt.get(name) ?? 0) < (windowS * 1000) / 2) continue;
      const judged = await this.lastJudged(name, 'estimated_auc');
      const windows = await this.performance.estimateWindows(name, new Date(now - ESTIMATE_LOOKBACK_WINDOWS * windowS * 1000), new Date(now), windowS);
      // Throttled only once there was something to read: a read that found
      // no scores yet (traffic not flushed) must not hold the next one back
      // for half a window.
      if (windows.length > 0) this.estimateReadAt.set(name, now);
      for (const w of windows) {
        if (!m.serving.has(w.version) || w.windowEnd.getTime() > now) continue;
        if (w.windowEnd.getTime() <= (judged.get(`${w.version}\u0000${w.variant}`) ?? -Infinity)) continue;
        const judgement = judgeEstimatedAuc(policy, w);
        if (!judgement.judged) continue;
        await this.dataSource.transaction((em) => this.apply(em, { model: name, version: w.version, variant: w.variant, rule: 'estimated_auc' }, policy, w.windowEnd, judgement));
      }
    }
  }

  /** The end of the last judged window of `rule` per series (version, variant) of a model. */
  private async lastJudged(model: string, rule = 'auc'): Promise<Map<string, number>> {
    const rows: { version: number; variant: string; last_window_end: Date | null }[] = await this.dataSource.query(
      `SELECT version, variant, last_window_end FROM alert_rule_states WHERE model = $1 AND rule = $2`,
      [model, rule],
    );
    return new Map(rows.filter((r) => r.last_window_end).map((r) => [`${r.version}\u0000${r.variant}`, new Date(r.last_window_end!).getTime()]));
  }

  private async apply(em: EntityManager, s: SeriesRule, policy: AlertPolicy, windowEnd: Date, j: Judgement): Promise<void> {
    if (!j.judged) return;
    const state = await this.store.lockState(em, s);
    if (state.lastWindowEnd && state.lastWindowEnd.getTime() >= windowEnd.getTime()) return;
    const r = step(state, j.judged, j.active, policy.forWindows, policy.resolveWindows);
    const next: StoredRuleState = { ...r.state, alertId: state.alertId, lastWindowEnd: windowEnd };
    if (r.transition === 'firing') {
      const rule = s.rule as RuleName;
      next.alertId = await this.store.fire(em, { ...s, severity: policy.severity[rule], summary: j.summary, details: j.details, runbookUrl: policy.runbookUrl[rule] ?? null });
      this.logger.info({ dedup_key: `${s.model}/${s.version}/${s.variant}/${s.rule}`, summary: j.summary }, 'alert firing');
    } else if (r.transition === 'resolved' && state.alertId) {
      await this.store.resolve(em, state.alertId, 'condition cleared');
      next.alertId = null;
    }
    await this.store.saveState(em, s, next);
  }

  private async resolveNotServing(model: (name: string) => Promise<ModelAlerting | null>): Promise<void> {
    const open: (SeriesRule & { dedup_key: string })[] = await this.dataSource.query(
      `SELECT dedup_key, model, version, variant, rule FROM alert_rule_states WHERE phase <> 'ok' AND rule <> $1`,
      [ROLLOUT_ABORTED],
    );
    for (const s of open) {
      const m = await model(s.model);
      if (m?.serving.has(s.version)) continue;
      await this.dataSource.transaction(async (em) => {
        const state = await this.store.lockState(em, s);
        const r = stopServing(state);
        if (r.transition === 'resolved' && state.alertId) await this.store.resolve(em, state.alertId, 'not serving');
        await this.store.saveState(em, s, { ...r.state, alertId: null, lastWindowEnd: state.lastWindowEnd });
      });
    }
  }
}
