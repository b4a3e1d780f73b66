import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { LeaderElection } from '../database/leader-election.js';
import { PRODUCTION_ALIAS } from '../registry/serving-state.js';
import { decideStep } from './rollout-analysis.js';
import { RolloutJudge } from './rollout-judge.js';
import { rolloutActor, RolloutTransitions, StaleRollout } from './rollout-transitions.js';
import { RolloutsStore, type RolloutRow } from './rollouts.store.js';

/**
 * The elected rollout driver: on the leader, every tick, each pending
 * rollout starts and each running one has its finished monitor windows
 * judged, then holds, moves to its next step, completes or aborts. All of
 * its state is in PostgreSQL, so after a kill -9 the next leader continues
 * from the recorded step; a window verdict is written once.
 */
@Injectable()
export class RolloutDriver implements OnApplicationBootstrap {
  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly election: LeaderElection,
    private readonly store: RolloutsStore,
    private readonly judge: RolloutJudge,
    private readonly transitions: RolloutTransitions,
  ) {
    this.logger = logger.child({ component: 'rollouts' });
  }

  onApplicationBootstrap(): void {
    this.election.every({ name: 'rollouts', periodMs: this.config.rollouts.tickMs, run: () => this.tick() });
  }

  async tick(now = Date.now()): Promise<void> {
    for (const r of await this.store.toDrive()) {
      try {
        await this.drive(r, now);
      } catch (err) {
        if (err instanceof StaleRollout) continue;
        this.logger.error({ err, rollout: r.id, model: r.model_name }, 'rollout step failed');
      }
    }
  }

  private async drive(r: RolloutRow, now: number): Promise<void> {
    if (r.state === 'pending') {
      await this.transitions.toStep(r, 0, 'started');
      this.logger.info({ rollout: r.id, model: r.model_name, weight: r.steps[0] }, 'rollout started');
      return;
    }
    if (await this.noticeManualChange(r)) return;
    const verdicts = await this.judge.judgeNewWindows(r, now);
    const d = decideStep(verdicts, r.analysis, r.step_min_duration_s);
    const at = `step ${r.current_step + 1} (${r.steps[r.current_step]}%)`;
    if (d.decision === 'abort') {
      await this.transitions.abort(r, `${d.reason} at ${at}`, { restore: true, requireOwnRevision: true });
      this.logger.warn({ rollout: r.id, model: r.model_name, reason: d.reason }, 'rollout aborted');
    } else if (d.decision === 'advance') {
      if (r.current_step + 1 < r.steps.length) {
        await this.transitions.toStep(r, r.current_step + 1, `${at} passed: ${d.reason}`);
      } else {
        await this.transitions.complete(r, 'every step passed', ['running']);
        this.logger.info({ rollout: r.id, model: r.model_name, version: r.candidate_version }, 'rollout completed');
      }
    }
  }

  /**
   * Someone else moved the traffic since the rollout's last revision: a
   * rollback aborts the rollout (the rollback stands), a traffic change or
   * a move of `production` pauses it. Either way the reason names the revision and who made it.
   */
  private async noticeManualChange(r: RolloutRow): Promise<boolean> {
    const own = rolloutActor(r.id).keyId;
    // Moving an alias nothing routes (say `staging`) changes no traffic; the rollout's own split and production do.
    const since = await this.store.revisionsAfter(r.model_id, r.last_revision);
    const others = since.filter(
      (x) => x.actor !== own && (x.change === 'traffic_set' || x.change === 'traffic_cleared' || x.change === 'rollback' || x.alias === PRODUCTION_ALIAS),
    );
    if (!others.length) {
      // Only moves that leave the traffic alone: the rollout's next move builds on them.
      if (since.length) await this.store.absorbRevisions(r.id, r.last_revision, since[since.length - 1].revision);
      return false;
    }
    const rollback = others.find((x) => x.change === 'rollback');
    const x = rollback ?? others[others.length - 1];
    const why = `manual ${x.change === 'rollback' ? 'rollback' : x.change.replace('_', ' ')} at revision ${x.revision} by ${x.actor}${x.reason ? `: ${x.reason}` : ''}`;
    if (rollback) await this.transitions.abort(r, why, { restore: false, requireOwnRevision: false });
    else await this.transitions.pause(r, why);
    this.logger.warn({ rollout: r.id, model: r.model_name, reason: why }, rollback ? 'rollout aborted by a manual rollback' : 'rollout paused by a manual change');
    return true;
  }
}
