import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { InitialSchema1764000000000 } from '../src/database/migrations/1764000000000-initial-schema.js';
import { MIGRATIONS } from '../src/database/schema.js';
import { rocAucOvr } from '../src/monitoring/stats/roc-auc.js';
import { PerformanceReader } from '../src/monitoring/performance/performance-reader.js';
import { dayPartition, DAY_MS } from '../src/monitoring/telemetry/partition-bounds.js';
import { PredictionPartitions } from '../src/monitoring/telemetry/prediction-partitions.js';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { createModel } from './support/registry.js';
import { inject } from './support/serving.js';
import { uuidv7At } from './support/uuid-at.js';

const dataSource = (url: string, migrations: Function[]) =>
  new DataSource({ type: 'postgres', url, migrations, migrationsTableName: 'migrations', logging: false });

describe('migrating the prediction log to daily partitions', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('moves existing rows into the partitions of their ids days, and back on revert', async () => {
    const before = dataSource(db.url, [InitialSchema1764000000000]);
    await before.initialize();
    await before.runMigrations();
    const days = [-9, -1, 0].map((d) => Date.now() + d * DAY_MS);
    const ids = days.map((ms) => uuidv7At(ms));
    for (const id of ids) {
      await before.query(`INSERT INTO predictions (id, model, version, variant, protocol, created_at, latency_ms, score) VALUES ($1, 'm', 1, 'v1', 'v1', now(), 1, 0.5)`, [id]);
      await before.query(`INSERT INTO shadow_predictions (prediction_id, model, version, created_at, latency_ms) VALUES ($1, 'm', 2, now(), 1)`, [id]);
    }
    await before.destroy();

    const after = dataSource(db.url, MIGRATIONS);
    await after.initialize();
    try {
      await after.runMigrations({ transaction: 'each' });
      const rows: { id: string; part: string }[] = await after.query(`SELECT id::text, tableoid::regclass::text AS part FROM predictions ORDER BY id`);
      expect(rows).toEqual(ids.map((id, i) => ({ id, part: dayPartition('predictions', days[i]).name })));
      const shadows: { part: string }[] = await after.query(`SELECT tableoid::regclass::text AS part FROM shadow_predictions ORDER BY prediction_id`);
      expect(shadows.map((s) => s.part)).toEqual(days.map((d) => dayPartition('shadow_predictions', d).name));
      expect((await after.query(`SELECT relkind FROM pg_class WHERE relname = 'prediction_labels'`))[0].relkind).toBe('p');

      // Every migration after this one is undone first, newest first.
      const relkind = async () => (await after.query(`SELECT relkind FROM pg_class WHERE relname = 'predictions'`))[0].relkind;
      for (let i = 0; i < 50 && (await relkind()) === 'p'; i++) await after.undoLastMigration({ transaction: 'each' });
      expect(await relkind()).toBe('r');
      expect((await after.query(`SELECT count(*)::int AS n FROM predictions`))[0].n).toBe(3);
      expect((await after.query(`SELECT count(*)::int AS n FROM shadow_predictions`))[0].n).toBe(3);
      expect(await after.query(`SELECT 1 FROM pg_class WHERE relname = 'prediction_labels'`)).toEqual([]);
    } finally {
      await after.destroy();
    }
  });
});

describe('joining labels with the partitioned log', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_TELEMETRY_FLUSH_MS: '50', MODELGATE_MONITOR_FLUSH_MS: '100' } });
    const p = t.app.get(PredictionPartitions);
    for (const d of [-3, -2, -1]) await p.ensureDay(Date.now() + d * DAY_MS);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('joins a label posted before its prediction record with the live record and every shadow record of its id', async () => {
    await createModel(t, 'joined');
    const recorder = t.app.get(PredictionRecorder);
    const now = Date.now();
    const ids = Array.from({ length: 4 }, (_, i) => uuidv7At(now - 1000 + i));
    const res = await inject(t, 'POST', '/v1/feedback', ids.map((id, i) => ({ prediction_id: id, label: i % 2 })), { 'content-type': 'application/json' });
    expect(res.json().accepted).toBe(4);
    ids.forEach((id, i) => {
      recorder.record({ id, model: 'joined', version: 1, variant: 'v1', protocol: 'v1', fallback: false, createdAt: now, latencyMs: 1, score: i / 4, label: i % 2 });
      for (const version of [2, 3]) recorder.recordShadow({ predictionId: id, model: 'joined', version, createdAt: now, latencyMs: 1, score: i % 2 ? 0.9 : 0.1, label: i % 2 });
    });
    const reader = t.app.get(PerformanceReader);
    const series = await eventually(async () => {
      const rows = await reader.windowMetrics('joined', new Date(now - 60_000), new Date(now + 60_000), 3600);
      return rows.length === 3 && rows.every((r) => r.labels === 4) ? rows : undefined;
      // Two flushes and a join pass, each a few hundred ms; 10 s ran out once under the full suite on 2 cores.
    }, 30_000);
    // Live scores 0, 0.25, 0.5, 0.75 against labels 0, 1, 0, 1: three of the four positive-negative pairs are ordered.
    expect(series!.map((r) => [r.version, r.variant, r.predictions, r.labels, r.auc])).toEqual([
      [1, 'v1', 4, 4, 0.75],
      [2, 'shadow', 4, 4, 1],
      [3, 'shadow', 4, 4, 1],
    ]);
  });

  it('reports RMSE and MAE for a regression model from posted values', async () => {
    await createModel(t, 'reg', 'regression');
    const recorder = t.app.get(PredictionRecorder);
    const now = Date.now();
    const predicted = [10, 12.5, 7, 3, 20];
    const truth = [11, 12, 9, 3, 14];
    const ids = predicted.map((_, i) => uuidv7At(now - 500 + i));
    ids.forEach((id, i) => recorder.record({ id, model: 'reg', version: 1, variant: 'v1', protocol: 'v1', fallback: false, createdAt: now, latencyMs: 1, score: predicted[i] }));
    const res = await inject(t, 'POST', '/v1/feedback', ids.map((id, i) => ({ prediction_id: id, value: truth[i] })), { 'content-type': 'application/json' });
    expect(res.json().accepted).toBe(5);
    const rows = await eventually(async () => {
      const r = await t.app.get(PerformanceReader).windowMetrics('reg', new Date(now - 60_000), new Date(now + 60_000), 3600);
      return r.length === 1 && r[0].labels === 5 ? r : undefined;
    });
    // Errors -1, 0.5, -2, 0, 6: squares sum to 41.25, absolute values to 9.5.
    expect(rows![0].rmse).toBeCloseTo(Math.sqrt(41.25 / 5), 12);
    expect(rows![0].mae).toBeCloseTo(9.5 / 5, 12);
    expect(rows![0]).toMatchObject({ auc: null, log_loss: null, accuracy: null });
  });

  it('reports the macro one-vs-rest AUC and accuracy of a multiclass model, classes named as the predict answer names them', async () => {
    await createModel(t, 'multi', 'multiclass_classification');
    const recorder = t.app.get(PredictionRecorder);
    const now = Date.now();
    const classes = ['a', 'b', 'c'];
    const n = 60;
    const probs: number[][] = [];
    const truth: number[] = [];
    for (let i = 0; i < n; i++) {
      const y = i % 3;
      const raw = [0, 1, 2].map((c) => ((i * 7 + c * 13) % 10) / 10 + (c === y ? 0.3 : 0));
      const sum = raw.reduce((a, b) => a + b, 0);
      probs.push(raw.map((v) => v / sum));
      truth.push(y);
    }
    const ids = probs.map((_, i) => uuidv7At(now - 500 + i));
    ids.forEach((id, i) => {
      const best = probs[i].indexOf(Math.max(...probs[i]));
      recorder.record({
        id, model: 'multi', version: 1, variant: 'v1', protocol: 'v1', fallback: false, createdAt: now, latencyMs: 1,
        label: classes[best], outputs: { probabilities: Object.fromEntries(classes.map((c, k) => [c, probs[i][k]])) },
      });
    });
    await inject(t, 'POST', '/v1/feedback', ids.map((id, i) => ({ prediction_id: id, label: classes[truth[i]] })), { 'content-type': 'application/json' });
    const rows = await eventually(async () => {
      const r = await t.app.get(PerformanceReader).windowMetrics('multi', new Date(now - 60_000), new Date(now + 60_000), 3600);
      return r.length === 1 && r[0].labels === n ? r : undefined;
    });
    expect(rows![0].auc).toBeCloseTo(rocAucOvr(truth, probs.flat(), 3).auc, 12);
    const correct = probs.filter((p, i) => p.indexOf(Math.max(...p)) === truth[i]).length;
    expect(rows![0].accuracy).toBeCloseTo(correct / n, 12);
  });
});
