import { Injectable } from '@nestjs/common';
import { ValidationFailed } from '../../common/errors.js';
import { ModelNotFound } from '../../registry/registry.errors.js';
import { VersionBaselines } from '../live/version-baselines.js';
import type { DriftCheckRecord, FeatureDataQuality, FeatureDriftResult } from './drift-check.record.js';
import { DriftChecksStore } from './drift-checks.store.js';
import type { DriftQuery } from './drift.dto.js';

/** The newest result of one series, keyed by feature for a dashboard to read without searching arrays. */
export interface LatestPerSeries {
  version: number;
  variant: string;
  window_start: string;
  window_end: string;
  checked_at: string;
  judged: boolean;
  rows: number;
  features: Record<string, FeatureDriftResult>;
  prediction: FeatureDriftResult | null;
  data_quality: Record<string, FeatureDataQuality>;
}

export interface DriftAnswer {
  model: string;
  checks: DriftCheckRecord[];
  next_cursor: string | null;
  latest: LatestPerSeries[];
}

@Injectable()
export class DriftService {
  constructor(
    private readonly checks: DriftChecksStore,
    private readonly baselines: VersionBaselines,
  ) {}

  async history(model: string, q: DriftQuery): Promise<DriftAnswer> {
    if (!(await this.baselines.policies([model])).has(model)) throw new ModelNotFound(model);
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    const page = await this.checks.list({ model, version: q.version, variant: q.variant, from, to, limit: q.limit + 1, after: q.cursor ? decodeCursor(q.cursor) : undefined });
    const checks = page.slice(0, q.limit);
    const last = checks[checks.length - 1];
    const latest = (await this.checks.latestPerSeries(model))
      .filter((c) => (q.version === undefined || c.version === q.version) && (q.variant === undefined || c.variant === q.variant))
      .map(latestOf);
    return { model, checks, next_cursor: page.length > q.limit ? encodeCursor(Date.parse(last.window_start), last.id) : null, latest };
  }
}

function latestOf(c: DriftCheckRecord): LatestPerSeries {
  return {
    version: c.version,
    variant: c.variant,
    window_start: c.window_start,
    window_end: c.window_end,
    checked_at: c.checked_at,
    judged: c.judged,
    rows: c.rows,
    features: Object.fromEntries(c.features.map((f) => [f.feature, f])),
    prediction: c.prediction,
    data_quality: Object.fromEntries(c.data_quality.map((q) => [q.feature, q])),
  };
}

function encodeCursor(windowStart: number, id: string): string {
  return Buffer.from(`${windowStart}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { windowStart: number; id: string } {
  const m = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ValidationFailed('cursor: not a cursor this API gave out', { field: 'cursor' });
  return { windowStart: Number(m[1]), id: m[2] };
}
