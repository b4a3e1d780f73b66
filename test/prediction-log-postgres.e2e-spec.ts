import { EncodedRowQueue } from '../src/monitoring/telemetry/encoded-row-queue.js';
import { postgresPredictionSink } from '../src/monitoring/telemetry/postgres-prediction-log.js';
import { writePredictionRow } from '../src/monitoring/telemetry/telemetry-copy.js';
import { TelemetryDatabase } from '../src/monitoring/telemetry/telemetry-database.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { behavesAsAPredictionLog, type LoggedPrediction, type PredictionQueue } from './support/prediction-log-contract.js';

let db: TestDatabase;
let t: TestApp;

behavesAsAPredictionLog(
  'the predictions table (MODELGATE_PREDICTION_LOG=postgres)',
  async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    const io = t.app.get(TelemetryDatabase);
    return {
      open: (capacity, batch) => ({ queue: new EncodedRowQueue(capacity, batch, writePredictionRow) as unknown as PredictionQueue, sink: postgresPredictionSink(io) }),
      read: () =>
        withClient(db.url, async (c) => {
          const { rows } = await c.query(`SELECT id::text, model, version, variant, score, label, inputs FROM predictions ORDER BY id`);
          return rows as LoggedPrediction[];
        }),
      // Writes fail with "relation does not exist" (42P01): the database's fault, not the records'.
      outage: async () => {
        await withClient(db.url, (c) => c.query(`ALTER TABLE predictions RENAME TO predictions_away`));
        return async () => void (await withClient(db.url, (c) => c.query(`ALTER TABLE predictions_away RENAME TO predictions`)));
      },
    };
  },
  async () => {
    await t?.close();
    await db?.drop();
  },
);
