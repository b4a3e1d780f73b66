import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A binary version's calibration on its labelled baseline (the 1,000-bin
 * histogram with labels that CBPE needs, as jsonb) and its expected
 * calibration error beside it, so a version's view can say it without
 * reading the histogram. NULL for versions uploaded before, and for
 * versions without a labelled baseline: no estimates for those.
 */
export class VersionCalibration1766200000001 implements MigrationInterface {
  name = 'VersionCalibration1766200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE model_versions ADD COLUMN calibration jsonb, ADD COLUMN calibration_error double precision');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE model_versions DROP COLUMN IF EXISTS calibration, DROP COLUMN IF EXISTS calibration_error');
  }
}
