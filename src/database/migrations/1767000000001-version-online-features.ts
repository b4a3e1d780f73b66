import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version's `online_features` block (which features serving looks up in
 * feature views, keyed by which entity ids, within what budget, and each
 * feature's policy), stored in its normal form; null for a version that
 * looks nothing up.
 */
export class VersionOnlineFeatures1767000000001 implements MigrationInterface {
  name = 'VersionOnlineFeatures1767000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE model_versions ADD COLUMN online_features jsonb');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE model_versions DROP COLUMN IF EXISTS online_features');
  }
}
