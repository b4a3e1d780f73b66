import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An object that may sit in the store without a committed version row. */
@Entity('artifact_gc')
export class ArtifactGcEntity {
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'text' })
  reason: 'upload' | 'deleted';

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
