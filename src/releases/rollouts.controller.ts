import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, RequireScope } from '../auth/scopes.decorator.js';
import { openApiSchema, parseWith } from '../common/validation.js';
import { modelParams } from '../registry/dto/params.js';
import { listRolloutsQuery, rolloutActionSchema, rolloutParams, startRolloutSchema } from './rollouts.dto.js';
import { RolloutsService } from './rollouts.service.js';

/** Progressive rollouts: start, read, and the operator's pause, resume, abort and promote. */
@ApiTags('releases')
@Controller('api/v1/models/:name/rollouts')
export class RolloutsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Post()
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Start a rollout of a candidate version (or alias) against what production serves' })
  @ApiBody({ schema: openApiSchema(startRolloutSchema) })
  async start(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) reply: FastifyReply) {
    const { name } = parseWith(modelParams, params, 'path');
    const r = await this.rollouts.start(name, parseWith(startRolloutSchema, body), actor);
    if (r.pending) {
      // The model's release policy requires a second key's approval: the rollout starts when it is approved.
      reply.status(202);
      return { model: name, approval_required: true, request: r.pending };
    }
    return r.rollout;
  }

  @Get()
  @RequireScope('registry:read')
  @ApiOperation({ summary: "A model's rollouts, newest first" })
  list(@Param() params: unknown, @Query() query: unknown) {
    const { name } = parseWith(modelParams, params, 'path');
    return this.rollouts.list(name, parseWith(listRolloutsQuery, query, 'query'));
  }

  @Get(':id')
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'One rollout with its steps and the checks of every judged window' })
  get(@Param() params: unknown) {
    const p = parseWith(rolloutParams, params, 'path');
    return this.rollouts.get(p.name, p.id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Pause: traffic stays where it is; resume starts the step afresh' })
  @ApiBody({ schema: openApiSchema(rolloutActionSchema) })
  pause(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const p = parseWith(rolloutParams, params, 'path');
    return this.rollouts.pause(p.name, p.id, actor, parseWith(rolloutActionSchema, body ?? {}).reason);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireScope('registry:write')
  @ApiOperation({ summary: "Resume a paused rollout at its step, putting the step's traffic back" })
  @ApiBody({ schema: openApiSchema(rolloutActionSchema) })
  resume(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const p = parseWith(rolloutParams, params, 'path');
    return this.rollouts.resume(p.name, p.id, actor, parseWith(rolloutActionSchema, body ?? {}).reason);
  }

  @Post(':id/abort')
  @HttpCode(200)
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Abort: restore the serving state from before the rollout' })
  @ApiBody({ schema: openApiSchema(rolloutActionSchema) })
  abort(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const p = parseWith(rolloutParams, params, 'path');
    return this.rollouts.abort(p.name, p.id, actor, parseWith(rolloutActionSchema, body ?? {}).reason);
  }

  @Post(':id/promote')
  @HttpCode(200)
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Promote now: production moves to the candidate and the split is cleared' })
  @ApiBody({ schema: openApiSchema(rolloutActionSchema) })
  promote(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const p = parseWith(rolloutParams, params, 'path');
    return this.rollouts.promote(p.name, p.id, actor, parseWith(rolloutActionSchema, body ?? {}).reason);
  }
}
