import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ValidationFailed } from '../common/errors.js';
import { nameSchema, parseWith } from '../common/validation.js';
import { RequireScope } from '../auth/scopes.decorator.js';
import { AuditStore } from './audit.store.js';

const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Opaque cursor from the previous page's `next_cursor`. */
  cursor: z.string().max(40).optional(),
  model: nameSchema('model').optional(),
});

const encodeCursor = (id: number) => Buffer.from(`a${id}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const m = /^a(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const id = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) throw new ValidationFailed('cursor: not a cursor this API gave out', { field: 'cursor' });
  return id;
}

@ApiTags('audit')
@RequireScope('admin')
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly store: AuditStore) {}

  @Get()
  @ApiOperation({ summary: 'Every write request, newest first: who, when, what, from which address, and how it ended' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'model', required: false })
  async list(@Query() query: unknown) {
    const q = parseWith(auditQuerySchema, query, 'query');
    const rows = await this.store.page({ limit: q.limit, beforeId: q.cursor ? decodeCursor(q.cursor) : undefined, model: q.model });
    const page = rows.slice(0, q.limit);
    return { entries: page, next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].id) : null };
  }
}
