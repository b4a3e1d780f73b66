import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { LeaderElection } from '../../database/leader-election.js';
import { mergePartials } from '../live/window-merge.js';
import { VersionBaselines } from '../live/version-baselines.js';
import { type DueWindow, WindowSketchStore } from '../live/window-sketch.store.js';
import { decideWindow } from './drift-decision.js';
import { DriftChecksStore } from './drift-checks.store.js';
import { resolvePolicy } from './monitoring-policy.js';

/** Partials are kept this long after their window ended, for a late check after an outage. */
export const SKETCH_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * The elected window check: on the leader, every flush period, each series'
 * window that ended more than two flush periods ago (so every replica's last
 * partial is in) and has no drift_checks row yet is merged, judged and
 * written. The unique key makes a run that overlaps a leader change harmless.
 */
@Injectable()
export class DriftChecker implements OnModuleInit {
  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly election: LeaderElection,
    private readonly sketches: WindowSketchStore,
    private readonly checks: DriftChecksStore,
    private readonly baselines: VersionBaselines,
  ) {
    this.logger = logger.child({ component: 'drift-checks' });
  }

  onModuleInit(): void {
    this.election.every({ name: 'drift-checks', periodMs: this.config.monitoring.flushMs, run: async () => void (await this.checkDue()) });
  }

  get graceMs(): number {
    return 2 * this.config.monitoring.flushMs;
  }

  /** Checks every due window; returns how many rows it wrote. */
  async checkDue(now = Date.now()): Promise<number> {
    const due = await this.sketches.dueWindows(now - this.graceMs);
    let written = 0;
    for (const w of due) {
      try {
        if (await this.check(w)) written++;
      } catch (err) {
        this.logger.error({ err, model: w.model, version: w.version, variant: w.variant, window_start: new Date(w.windowStart) }, 'window check failed');
      }
    }
    await this.sketches.prune(now - SKETCH_RETENTION_MS);
    return written;
  }

  private async check(w: DueWindow): Promise<boolean> {
    const parts = await this.sketches.partials(w);
    if (parts.length === 0) return false;
    const info = await this.baselines.get(w.model, w.version);
    const verdict = decideWindow(mergePartials(parts), info?.baseline ?? null, resolvePolicy(info?.policy));
    return this.checks.insert(w, verdict);
  }
}
