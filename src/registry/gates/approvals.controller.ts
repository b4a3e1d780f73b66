import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { type Actor, CurrentActor, RequireScope } from '../../auth/scopes.decorator.js';
import { pageQuery } from '../../common/page-cursor.js';
import { int4, nameSchema, openApiSchema, parseWith } from '../../common/validation.js';
import { modelParams } from '../dto/params.js';
import { ApprovalsService } from './approvals.service.js';

const requestParams = z.strictObject({ name: nameSchema('name'), id: z.uuid('not a request id') });
const reason = z.string().max(2_000).optional();

const createRequestSchema = z
  .strictObject({
    action: z.strictObject({ type: z.literal('alias.move'), alias: nameSchema('alias'), version: int4('version'), force: z.boolean().optional() }),
    reason,
  })
  .refine((b) => !b.action.force || !!b.reason?.trim(), { message: 'force needs a reason', path: ['reason'] });

const decisionSchema = z.strictObject({ comment: z.string().max(2_000).default('') }).default({ comment: '' });
const listRequestsSchema = z.strictObject({ ...pageQuery(50), state: z.enum(['pending', 'approved', 'rejected', 'expired']).optional() });

/** Approval requests of a model: moves of a guarded alias (and rollouts) waiting for a second key. */
@ApiTags('registry')
@Controller('api/v1/models/:name/requests')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'Approval requests, newest first; filter by state (pending, approved, rejected, expired)' })
  list(@Param() params: unknown, @Query() query: unknown) {
    return this.approvals.list(parseWith(modelParams, params, 'path').name, parseWith(listRequestsSchema, query, 'query'));
  }

  @Get(':id')
  @RequireScope('registry:read')
  get(@Param() params: unknown) {
    const p = parseWith(requestParams, params, 'path');
    return this.approvals.get(p.name, p.id);
  }

  @Post()
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Ask for an alias move to be approved; the gates are checked now (409 GATE_FAILED)' })
  @ApiBody({ schema: openApiSchema(createRequestSchema) })
  create(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const { name } = parseWith(modelParams, params, 'path');
    const b = parseWith(createRequestSchema, body);
    return this.approvals.requestAliasMove(name, { ...b.action, reason: b.reason }, actor);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequireScope('approve')
  @ApiOperation({ summary: 'Approve a pending request: the move happens now, once (needs approve held by the key itself, not the requester\'s creator)' })
  @ApiBody({ schema: openApiSchema(decisionSchema) })
  approve(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const p = parseWith(requestParams, params, 'path');
    return this.approvals.approve(p.name, p.id, actor, parseWith(decisionSchema, body ?? {}).comment);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @RequireScope('approve')
  @ApiOperation({ summary: 'Reject a pending request with a comment' })
  @ApiBody({ schema: openApiSchema(decisionSchema) })
  reject(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const p = parseWith(requestParams, params, 'path');
    return this.approvals.reject(p.name, p.id, actor, parseWith(decisionSchema, body ?? {}).comment);
  }
}
