import { afterAll } from 'vitest';
import { DatabaseConnection } from '../../database/database.connection.js';
import { loadConfig } from '../../config/config.schema.js';
import { createLogger } from '../../common/logger.js';
import { behavesAsAFeatureStore } from '../../../test/support/feature-store-contract.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { PostgresFeatureStore } from './postgres-feature-store.js';

let db: TestDatabase;
let connection: DatabaseConnection;

behavesAsAFeatureStore(
  'PostgresFeatureStore',
  async () => {
    db = await createTestDatabase();
    connection = await DatabaseConnection.open(
      loadConfig({ DATABASE_URL: db.url, MODELGATE_ADMIN_TOKEN: 'mgk_testadmin_0123456789abcdefghijklmnopqrstuv', MODELGATE_DATA_DIR: '/tmp' }),
      createLogger('silent'),
    );
    for (const view of ['customer_profile', 'merchant_risk']) {
      await connection.dataSource.query(`INSERT INTO feature_views (name, entities, features, ttl_s, created_by) VALUES ($1, '{id}', '{}', 60, 'test')`, [view]);
    }
    return { store: new PostgresFeatureStore(connection.dataSource), views: ['customer_profile', 'merchant_risk'] };
  },
  async () => {
    await connection?.close();
    await db?.drop();
  },
);

afterAll(() => undefined);
