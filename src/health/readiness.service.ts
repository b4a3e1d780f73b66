import { Injectable } from '@nestjs/common';
import { type HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { LeaderElection } from '../database/leader-election.js';
import { ServingReadiness } from '../serving/serving-readiness.js';
import { ArtifactStore } from '../storage/artifact-store.js';

/**
 * Readiness: 503 until the database answered once and every routed version
 * is loaded and warm, and whenever a routed model has nothing loaded to
 * serve it. Otherwise an outage of the database or the artifact store, or a
 * serving revision pending on this replica, shows as `degraded` but stays
 * 200, because loaded versions keep serving and Kubernetes must not pull a
 * serving pod for it.
 */
@Injectable()
export class ReadinessService {
  private databaseAnsweredOnce = false;
  private readyOnce = false;

  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly store: ArtifactStore,
    private readonly serving: ServingReadiness,
    private readonly election: LeaderElection,
  ) {}

  indicators(): HealthIndicatorFunction[] {
    return [() => this.database(), () => this.artifactStore(), () => this.models(), () => this.leader()];
  }

  /** Which replica runs the elected jobs (window checks, alert evaluation, rollout steps); never a reason to be unready. */
  private leader() {
    return this.indicator.check('leader_election').up({ leader: this.election.isLeader });
  }

  private async database() {
    const check = this.indicator.check('database');
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), 2_000);
      this.databaseAnsweredOnce = true;
      return check.up();
    } catch (err) {
      const message = (err as Error).message;
      return this.databaseAnsweredOnce ? check.degraded({ message }) : check.down({ message });
    }
  }

  /** The store matters for loading new versions and uploads, not for serving loaded ones. */
  private async artifactStore() {
    const check = this.indicator.check('artifact_store');
    try {
      await withTimeout(this.store.ping(), 2_000);
      return check.up({ location: this.store.location });
    } catch (err) {
      return check.degraded({ location: this.store.location, message: (err as Error).message });
    }
  }

  /**
   * Down until every routed version was loaded once; after that, down only
   * while a routed model has nothing loaded to answer it (Kubernetes should
   * send its traffic to a replica that can). A version of an applied
   * revision that is not loaded, or a newer revision waiting for its
   * versions while the one before serves, degrades and stays 200.
   */
  private models() {
    const check = this.indicator.check('models');
    const r = this.serving.check();
    if (r.ready) this.readyOnce = true;
    const details = {
      ...(r.reason ? { message: r.reason } : {}),
      ...(r.missing.length ? { missing: r.missing } : {}),
      ...(r.servingNothing.length ? { serving_nothing: r.servingNothing } : {}),
      ...(r.pending.length ? { pending: r.pending } : {}),
    };
    if (!this.readyOnce || r.servingNothing.length) return check.down({ message: r.reason ?? 'not ready', ...details });
    if (!r.ready || r.pending.length) return check.degraded(details);
    return check.up();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
