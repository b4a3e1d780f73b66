import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/common/ids.js';
import { rocAuc } from '../src/monitoring/stats/roc-auc.js';
import { predictionSubject } from '../src/monitoring/telemetry/prediction-event.js';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import { PredictionScoreStore } from '../src/monitoring/telemetry/prediction-scores.js';
import { PredictionStream } from '../src/monitoring/telemetry/prediction-stream.js';
import { RecordQueue, streamPredictionSink } from '../src/monitoring/telemetry/stream-prediction-log.js';
import type { PredictionRecord } from '../src/monitoring/telemetry/telemetry-records.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { describeWithBinary } from './support/binaries.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { startNats, type TestNats } from './support/nats.js';
import { behavesAsAPredictionLog, type LoggedPrediction, type PredictionQueue } from './support/prediction-log-contract.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

async function scrape(t: TestApp, series: string): Promise<number | undefined> {
  const res = await t.http.get('/metrics').expect(200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const countScores = (db: TestDatabase, model: string) =>
  withClient(db.url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM prediction_scores WHERE model = $1`, [model])).rows[0].n));

function record(model: string, i: number): PredictionRecord {
  return { id: uuidv7(), model, version: 1, variant: 'production', protocol: 'v1', fallback: false, createdAt: Date.now(), latencyMs: 1, score: (i % 1000) / 1000, label: i % 2 };
}

describeWithBinary('nats-server', 'nats-server', 'the prediction log on NATS JetStream', (bin) => {
  let db: TestDatabase;
  let nats: TestNats;
  let t: TestApp;

  behavesAsAPredictionLog(
    'a JetStream stream with slim rows in PostgreSQL (MODELGATE_PREDICTION_LOG=nats://...)',
    async () => {
      db = await createTestDatabase();
      nats = await startNats(bin);
      t = await startTestApp({ db, env: { MODELGATE_PREDICTION_LOG: nats.url } });
      const stream = t.app.get(PredictionStream);
      const scores = t.app.get(PredictionScoreStore);
      return {
        open: (capacity) => ({
          queue: new RecordQueue(capacity) as unknown as PredictionQueue,
          sink: streamPredictionSink({ publish: (e) => stream.publish(e), maxPayload: stream.maxPayload, writeScores: (p, s) => scores.write(p, s) }),
        }),
        read: async () =>
          (await nats.readAll()).map((m): LoggedPrediction => {
            const d = m.data as Record<string, any>;
            return { id: d.prediction_id, model: d.model, version: d.version, variant: d.variant, score: d.score, label: d.label === null ? null : String(d.label), inputs: d.inputs };
          }),
        outage: async () => {
          await nats.stop();
          return () => nats.start();
        },
      };
    },
    async () => {
      await t?.close();
      await nats?.close();
      await db?.drop();
    },
  );

  describe('through the service', () => {
    let db: TestDatabase;
    let nats: TestNats;
    let t: TestApp;
    let recorder: PredictionRecorder;
    const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));

    beforeAll(async () => {
      db = await createTestDatabase();
      nats = await startNats(bin);
      t = await startTestApp({ db, env: { MODELGATE_PREDICTION_LOG: nats.url, MODELGATE_TELEMETRY_FLUSH_MS: '100', MODELGATE_INPUT_SAMPLE_RATE: '1' } });
      recorder = t.app.get(PredictionRecorder);
    });
    afterAll(async () => {
      await t?.close();
      await nats?.close();
      await db?.drop();
    });

    it('creates the stream and publishes every answered prediction as a CloudEvent, read once per id, with slim rows in PostgreSQL and none in predictions', async () => {
      await createModel(t, 'loan.v2');
      await uploadOk(t, 'loan.v2', { file: fixture('loan_default_xgb.onnx'), metadata: { feature_names: expected.feature_names, categorical_features: expected.categorical_features } });
      await setAlias(t, 'loan.v2', 'production', 1);
      const row = Object.fromEntries(expected.feature_names.map((f: string, j: number) => [f, j + 0.5]));
      const ids = new Map<string, number>();
      for (let r = 0; r < 20; r++) {
        const res = await inject(t, 'POST', '/v1/models/loan.v2/predict', { instances: Array.from({ length: 50 }, () => row) });
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json();
        body.predictions.forEach((p: { prediction_id: string; score?: number }) => ids.set(p.prediction_id, body.predictions.length));
      }
      expect(ids.size).toBe(1000);
      await eventually(async () => (await nats.count()) >= 1000, 30_000, 100);
      await recorder.flush();

      const messages = (await nats.readAll()).filter((m) => m.data.model === 'loan.v2');
      const seen = new Map<string, number>();
      for (const m of messages) seen.set(m.headers['ce-id'], (seen.get(m.headers['ce-id']) ?? 0) + 1);
      expect(seen.size).toBe(1000);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      for (const id of ids.keys()) expect(seen.has(id), id).toBe(true);
      const m = messages[0];
      expect(m.subject).toBe('modelgate.predictions.loan%2Ev2');
      expect(m.subject).toBe(predictionSubject('loan.v2'));
      expect(m.headers).toMatchObject({
        'ce-specversion': '1.0',
        'ce-id': m.data.prediction_id,
        'ce-type': 'dev.modelgate.prediction',
        'ce-source': '/modelgate/models/loan.v2/versions/1',
        'content-type': 'application/json',
        'Nats-Msg-Id': m.data.prediction_id,
      });
      expect(new Date(m.headers['ce-time']).getTime()).toBe(new Date(m.data.created_at as string).getTime());
      expect(m.data).toMatchObject({ model: 'loan.v2', version: 1, protocol: 'v1' });
      // Every request's inputs are sampled here (MODELGATE_INPUT_SAMPLE_RATE=1).
      expect(messages.every((x) => x.data.inputs !== null)).toBe(true);

      expect(await countScores(db, 'loan.v2')).toBe(1000);
      const slim = await withClient(db.url, async (c) => (await c.query(`SELECT prediction_id::text AS id, version, variant, score FROM prediction_scores WHERE prediction_id = $1`, [m.data.prediction_id])).rows[0]);
      expect(slim).toEqual({ id: m.data.prediction_id, version: 1, variant: m.data.variant, score: m.data.score });
      const full = await withClient(db.url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM predictions`)).rows[0].n));
      expect(full).toBe(0);
    }, 180_000);

    it('joins labels with the slim rows, so performance shows labels and the exact AUC while the log is on the stream', async () => {
      const [header, ...lines] = fixtureBytes('loan_default_xgb.test.csv').toString('utf8').trim().split('\n');
      const cols = header.split(',');
      const rows = lines.slice(0, 300).map((l) => l.split(','));
      const instances = rows.map((v) => Object.fromEntries(expected.feature_names.map((f: string) => [f, Number(v[cols.indexOf(f)])])));
      const truth = rows.map((v) => Number(v[cols.indexOf(expected.label_column)]));
      const res = await inject(t, 'POST', '/v1/models/loan.v2/predict', { instances });
      expect(res.statusCode, res.body).toBe(200);
      const predictions: { prediction_id: string }[] = res.json().predictions;
      await recorder.flush();
      const feedback = await inject(t, 'POST', '/v1/feedback', predictions.map((p, i) => ({ prediction_id: p.prediction_id, label: truth[i] })), { 'content-type': 'application/json' });
      expect(feedback.json().accepted).toBe(300);
      const series = await eventually(async () => {
        // A range under an hour: the exact AUC, from every labelled score.
        const range = `from=${new Date(Date.now() - 30 * 60_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
        const body = (await t.http.get(`/api/v1/models/loan.v2/performance?${range}&bucket=3600`).set(t.admin).expect(200)).body;
        expect(body.exact).toBe(true);
        const s = body.series.find((x: { version: number }) => x.version === 1);
        expect(s?.window.labels).toBe(300);
        return s;
      }, 20_000, 100);
      // Exact: the AUC of the scores the slim rows hold against the labels posted.
      const stored = await withClient(db.url, async (c) => (await c.query(`SELECT prediction_id::text AS id, score FROM prediction_scores WHERE prediction_id = ANY($1::uuid[])`, [predictions.map((p) => p.prediction_id)])).rows);
      const scoreOf = new Map(stored.map((r: { id: string; score: number }) => [r.id, r.score]));
      expect(series.window.auc).toBeCloseTo(rocAuc(truth, predictions.map((p) => scoreOf.get(p.prediction_id)!)), 6);
      expect(series.window.auc).toBeGreaterThan(0.9);
      // Nothing of the full log reached PostgreSQL: the labels joined with the slim rows.
      expect(await withClient(db.url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM predictions`)).rows[0].n))).toBe(0);
    }, 120_000);

    it('loses nothing at 1,000 predictions a second while the server is stopped for 20 s, with the default queue', async () => {
      expect(t.config.telemetry.queueSize).toBe(100_000);
      const dropped0 = (await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')) ?? 0;
      const sent: string[] = [];
      // 1,000 a second, in ticks of 50 ms, for 30 s: 5 s up, 20 s down, 5 s up again.
      const started = Date.now();
      let stopped = false;
      let restarted = false;
      while (Date.now() - started < 30_000) {
        const elapsed = Date.now() - started;
        if (!stopped && elapsed >= 5_000) {
          stopped = true;
          await nats.stop();
        }
        if (stopped && !restarted && elapsed >= 25_000) {
          restarted = true;
          await nats.start();
        }
        const due = Math.floor((Date.now() - started) / 1000 * 1000);
        while (sent.length < due) {
          const r = record('outage', sent.length);
          recorder.record(r);
          sent.push(r.id);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(sent.length).toBeGreaterThanOrEqual(29_000);
      await eventually(async () => (await countScores(db, 'outage')) === sent.length, 60_000, 250);
      expect(await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')).toBe(dropped0);
      const inStream = new Map<string, number>();
      for (const m of await nats.readAll()) if (m.data.model === 'outage') inStream.set(m.headers['ce-id'], (inStream.get(m.headers['ce-id']) ?? 0) + 1);
      expect(inStream.size).toBe(sent.length);
      for (const id of sent) expect(inStream.get(id), id).toBe(1);
    }, 180_000);

    it('counts the predictions dropped past the queue bound and stores the ones it kept', async () => {
      // Its own database: a second app on this one would wait for loan.v2, whose artifact is in the first app's directory.
      const db2 = await createTestDatabase();
      const bounded = await startTestApp({ db: db2, env: { MODELGATE_PREDICTION_LOG: nats.url, MODELGATE_TELEMETRY_QUEUE_SIZE: '500', MODELGATE_TELEMETRY_FLUSH_MS: '100' } });
      try {
        const r2 = bounded.app.get(PredictionRecorder);
        await nats.stop();
        const sent = Array.from({ length: 2000 }, (_, i) => record('bounded', i));
        for (const r of sent) r2.record(r);
        expect(r2.queued.prediction).toBe(500);
        expect(await scrape(bounded, 'modelgate_telemetry_dropped_total{kind="prediction"}')).toBe(1500);
        await nats.start();
        await eventually(async () => (await countScores(db2, 'bounded')) === 500, 60_000, 250);
        const kept = new Set((await nats.readAll()).filter((m) => m.data.model === 'bounded').map((m) => m.headers['ce-id']));
        expect(kept).toEqual(new Set(sent.slice(0, 500).map((r) => r.id)));
      } finally {
        await bounded.close();
        await db2.drop();
      }
    }, 120_000);
  });
});
