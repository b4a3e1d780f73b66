import { Injectable } from '@nestjs/common';
import { ModelRuntime } from './model-runtime.js';
import { type PendingRevision, RoutingTable } from './routing-table.js';
import { ServingSync } from './serving-sync.js';

/** A pending revision as readiness details show it (snake_case, RFC 3339 times). */
export interface PendingRevisionView {
  model: string;
  revision: number;
  applied_revision: number;
  waiting_for: number[];
  since: string;
  attempts: number;
  next_attempt_at: string;
  last_error?: string;
}

export interface ServingCheck {
  /** The routing table was built and every version of every applied revision is loaded and warm. */
  ready: boolean;
  reason?: string;
  missing: { model: string; version: number }[];
  /** Models with routed traffic and no loaded version to answer it. */
  servingNothing: string[];
  /** Newer revisions waiting for their versions; the revision before serves meanwhile. */
  pending: PendingRevisionView[];
}

/** Can this replica serve: the routing table was built, every routed version is loaded and warm, and which revisions wait. */
@Injectable()
export class ServingReadiness {
  constructor(
    private readonly sync: ServingSync,
    private readonly table: RoutingTable,
    private readonly runtime: ModelRuntime,
  ) {}

  check(): ServingCheck {
    if (!this.sync.initialSyncDone) return { ready: false, reason: 'routing table not built yet', missing: [], servingNothing: [], pending: [] };
    const missing = this.table.missing();
    const servingNothing = this.table.servingNothing();
    const pending = this.table.pendingRevisions().map((p) => this.view(p));
    const reasons: string[] = [];
    if (servingNothing.length) reasons.push(`nothing loaded to serve ${servingNothing.join(', ')}`);
    if (missing.length) reasons.push(`routed versions not loaded: ${missing.map((m) => `${m.model} v${m.version}`).join(', ')}`);
    if (pending.length) reasons.push(`revisions pending: ${pending.map((p) => `${p.model} r${p.revision} (serving r${p.applied_revision})`).join(', ')}`);
    return { ready: missing.length === 0, reason: reasons.join('; ') || undefined, missing, servingNothing, pending };
  }

  private view(p: PendingRevision): PendingRevisionView {
    const failure = p.waitingFor.map((v) => this.runtime.lastFailure(p.model, v)?.message).find((m) => m !== undefined);
    return {
      model: p.model,
      revision: p.revision,
      applied_revision: p.appliedRevision,
      waiting_for: [...p.waitingFor],
      since: new Date(p.since).toISOString(),
      attempts: p.attempts,
      next_attempt_at: new Date(p.nextAttemptAt).toISOString(),
      ...(failure ? { last_error: failure } : {}),
    };
  }
}
