import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Keys scoped to models: name patterns (`credit-*`); NULL means every model. */
export class KeyModels1765700000002 implements MigrationInterface {
  name = 'KeyModels1765700000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_keys ADD COLUMN models text[]');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_keys DROP COLUMN IF EXISTS models');
  }
}
