import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { uuidv7 } from '../common/ids.js';
import type { Actor } from '../auth/scopes.js';
import type { CreateSilenceDto } from './alerting.dto.js';
import { SilenceNotFound } from './alerting.errors.js';

const view = (s: any) => ({
  id: s.id,
  matchers: s.matchers,
  starts_at: new Date(s.starts_at).toISOString(),
  ends_at: new Date(s.ends_at).toISOString(),
  reason: s.reason,
  created_by: s.created_by,
  created_at: new Date(s.created_at).toISOString(),
  expired_at: s.expired_at ? new Date(s.expired_at).toISOString() : null,
  active: !s.expired_at && new Date(s.starts_at).getTime() <= Date.now() && new Date(s.ends_at).getTime() > Date.now(),
});

/** Silences suppress delivery of new pages that match them; the alert is still recorded, with the silence that matched it. */
@Injectable()
export class SilencesService {
  constructor(private readonly dataSource: DataSource) {}

  async create(dto: CreateSilenceDto, actor: Actor) {
    const id = uuidv7();
    await this.dataSource.query(`INSERT INTO silences (id, matchers, starts_at, ends_at, reason, created_by) VALUES ($1, $2, coalesce($3::timestamptz, now()), $4, $5, $6)`, [
      id,
      JSON.stringify(dto.matchers),
      dto.starts_at ?? null,
      dto.ends_at,
      dto.reason,
      actor.keyId,
    ]);
    return this.get(id);
  }

  async list(activeOnly: boolean) {
    const rows = await this.dataSource.query(
      `SELECT * FROM silences ${activeOnly ? 'WHERE expired_at IS NULL AND ends_at > now()' : ''} ORDER BY created_at DESC, id DESC LIMIT 1000`,
    );
    return { silences: rows.map(view) };
  }

  async get(id: string) {
    const [row] = await this.dataSource.query(`SELECT * FROM silences WHERE id = $1`, [id]);
    if (!row) throw new SilenceNotFound(id);
    return view(row);
  }

  /** Expires the silence now; the row stays, so the alerts it silenced still name it. */
  async expire(id: string): Promise<void> {
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [, changed]: [unknown, number] = await this.dataSource.query(`UPDATE silences SET expired_at = coalesce(expired_at, now()) WHERE id = $1`, [id]);
    if (!changed) throw new SilenceNotFound(id);
  }
}
