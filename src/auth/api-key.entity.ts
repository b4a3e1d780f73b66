import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Scope } from './scopes.js';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', array: true })
  scopes: Scope[];

  /** Model name patterns (`credit-*`) the key may name; null: every model. */
  @Column({ type: 'text', array: true, nullable: true })
  models: string[] | null;

  /** Hex sha256 of the key's secret; the secret itself is never stored. */
  @Column({ name: 'secret_sha256', type: 'text' })
  secretSha256: string;

  /** Key id of the actor who created it (`admin-token`, `bootstrap`). */
  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
