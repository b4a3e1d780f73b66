import { Injectable } from '@nestjs/common';
import { type HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

/**
 * Readiness: 503 until the database answered once; after that an outage of
 * the database shows as `degraded` but stays 200, because loaded versions
 * keep serving and Kubernetes must not pull a serving pod for it.
 */
@Injectable()
export class ReadinessService {
  private databaseAnsweredOnce = false;

  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  indicators(): HealthIndicatorFunction[] {
    return [() => this.database()];
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
