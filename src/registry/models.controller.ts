import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, NamesModelInBody, RequireScope } from '../auth/scopes.decorator.js';
import { openApiSchema, parseWith } from '../common/validation.js';
import { createModelSchema, listModelsQuerySchema, patchModelSchema } from './dto/model.dto.js';
import { modelParams } from './dto/params.js';
import { ModelsService } from './models.service.js';

@ApiTags('registry')
@Controller('api/v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @RequireScope('registry:write')
  @NamesModelInBody()
  @ApiOperation({ summary: 'Register a model' })
  @ApiBody({ schema: openApiSchema(createModelSchema) })
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.models.create(parseWith(createModelSchema, body), actor);
  }

  @Get()
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'List models (paged by cursor; filter by name part q, tag key or key:value, and task)' })
  @ApiQuery({ name: 'q', required: false, description: 'part of the name: a prefix or any substring, case-insensitive' })
  @ApiQuery({ name: 'tag', required: false, isArray: true, type: String })
  @ApiQuery({ name: 'task', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Query() query: unknown) {
    return this.models.list(parseWith(listModelsQuerySchema, query, 'query'));
  }

  @Get(':name')
  @RequireScope('registry:read')
  get(@Param() params: unknown) {
    return this.models.get(parseWith(modelParams, params, 'path').name);
  }

  @Patch(':name')
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Change description, owner, tags, monitoring policy or release policy (guarded aliases, gates, approval)' })
  @ApiBody({ schema: openApiSchema(patchModelSchema) })
  patch(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.models.patch(parseWith(modelParams, params, 'path').name, parseWith(patchModelSchema, body), actor);
  }

  @Delete(':name')
  @HttpCode(204)
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Delete a model with its versions (409 while aliased or routed)' })
  async delete(@Param() params: unknown) {
    await this.models.delete(parseWith(modelParams, params, 'path').name);
  }
}
