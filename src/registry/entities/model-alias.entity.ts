import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('model_aliases')
export class ModelAliasEntity {
  @PrimaryColumn({ name: 'model_id', type: 'bigint' })
  modelId: string;

  @PrimaryColumn({ type: 'text' })
  alias: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'updated_by', type: 'text' })
  updatedBy: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
