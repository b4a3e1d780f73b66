import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type Actor, CurrentActor, RequireScope } from '../auth/scopes.decorator.js';
import { openApiSchema, parseWith } from '../common/validation.js';
import { aliasParams, modelParams } from './dto/params.js';
import { deleteAliasSchema, historyQuerySchema, rollbackSchema, setAliasSchema, trafficPolicySchema } from './dto/serving.dto.js';
import { ServingStateService } from './serving-state.service.js';

/** Aliases, traffic policy, rollback and their history: what should serve. */
@ApiTags('registry')
@Controller('api/v1/models/:name')
export class ServingStateController {
  constructor(private readonly serving: ServingStateService) {}

  @Put('aliases/:alias')
  @RequireScope('registry:write')
  @ApiOperation({
    summary:
      'Point an alias (production, staging, any name) at a version. A guarded alias checks the promotion gates (409 GATE_FAILED; force with a reason passes them); under require_approval the answer is 202 with a pending request',
  })
  @ApiBody({ schema: openApiSchema(setAliasSchema) })
  async setAlias(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) reply: FastifyReply) {
    const p = parseWith(aliasParams, params, 'path');
    const b = parseWith(setAliasSchema, body);
    const r = await this.serving.moveAlias(p.name, p.alias, b.version, actor, b.reason, { force: b.force });
    if ('pending' in r) {
      reply.status(202);
      return { model: p.name, alias: p.alias, version: b.version, approval_required: true, request: r.pending, gates: r.gates.gates };
    }
    return { model: p.name, alias: p.alias, version: b.version, previous_version: r.before.aliases[p.alias] ?? null, revision: r.revision, changed: r.changed };
  }

  @Delete('aliases/:alias')
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Remove an alias (409 while the traffic policy routes it)' })
  async deleteAlias(
    @Param() params: unknown,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Query('reason') reason?: string,
  ) {
    const p = parseWith(aliasParams, params, 'path');
    const b = parseWith(deleteAliasSchema, body ?? {});
    return this.serving
      .deleteAlias(p.name, p.alias, actor, b.reason ?? reason)
      .then((r) => ({ model: p.name, alias: p.alias, previous_version: r.before.aliases[p.alias] ?? null, revision: r.revision }));
  }

  @Get('traffic')
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'The traffic policy (null: unpinned traffic goes to the production alias)' })
  async traffic(@Param() params: unknown) {
    const { name } = parseWith(modelParams, params, 'path');
    const s = await this.serving.stateOf(name);
    return { model: name, revision: s.revision, policy: s.state.traffic, aliases: s.state.aliases };
  }

  @Put('traffic')
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Set weighted routes, sticky key, shadow versions, fallback and timeout' })
  @ApiBody({ schema: openApiSchema(trafficPolicySchema) })
  async setTraffic(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const { name } = parseWith(modelParams, params, 'path');
    const r = await this.serving.setTraffic(name, parseWith(trafficPolicySchema, body), actor);
    return { model: name, revision: r.revision, changed: r.changed, policy: r.after.traffic, aliases: r.after.aliases };
  }

  @Delete('traffic')
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Remove the traffic policy: unpinned traffic goes to the production alias' })
  async clearTraffic(@Param() params: unknown, @CurrentActor() actor: Actor, @Query('reason') reason?: string) {
    const { name } = parseWith(modelParams, params, 'path');
    const r = await this.serving.clearTraffic(name, actor, reason);
    return { model: name, revision: r.revision, changed: r.changed, policy: null, aliases: r.after.aliases };
  }

  @Post('rollback')
  @HttpCode(200)
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Restore the serving state of the previous revision (or to_revision) as a new revision' })
  @ApiBody({ schema: openApiSchema(rollbackSchema) })
  async rollback(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const { name } = parseWith(modelParams, params, 'path');
    const b = parseWith(rollbackSchema, body ?? {});
    const r = await this.serving.rollback(name, actor, b.to_revision, b.reason);
    return { model: name, revision: r.revision, restored_revision: r.restored_revision, before: r.before, after: r.after };
  }

  @Get('history')
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'Serving revisions (alias moves, traffic changes, rollbacks), newest first' })
  async history(@Param() params: unknown, @Query() query: unknown) {
    const { name } = parseWith(modelParams, params, 'path');
    const q = parseWith(historyQuerySchema, query, 'query');
    return { model: name, ...(await this.serving.history(name, q)) };
  }
}
