import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Task `tensor` (generic tensor models: outputs returned by name, no score
 * or label decoding). The initial schema's inline CHECK on `models.task`
 * named the three tabular tasks only.
 */
export class TensorTask1766900000021 implements MigrationInterface {
  name = 'TensorTask1766900000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE models DROP CONSTRAINT IF EXISTS models_task_check');
    await q.query(`ALTER TABLE models ADD CONSTRAINT models_task_check CHECK (task IN ('binary_classification', 'multiclass_classification', 'regression', 'tensor'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM models WHERE task = 'tensor'`);
    await q.query('ALTER TABLE models DROP CONSTRAINT IF EXISTS models_task_check');
    await q.query(`ALTER TABLE models ADD CONSTRAINT models_task_check CHECK (task IN ('binary_classification', 'multiclass_classification', 'regression'))`);
  }
}
