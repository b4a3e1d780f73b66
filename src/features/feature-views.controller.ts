import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { type Actor, CurrentActor, RequireScope } from '../auth/scopes.decorator.js';
import { pageQuery } from '../common/page-cursor.js';
import { nameSchema, openApiSchema, parseWith } from '../common/validation.js';
import { featureViewSchema } from './feature-view.js';
import { FeatureViewsService } from './feature-views.service.js';

const viewParams = z.object({ name: nameSchema('view name') });
const rowParams = z.object({ name: nameSchema('view name'), entity: z.string().min(1).max(1024) });
const listQuery = z.object(pageQuery(100));

/**
 * Feature views for online look-ups: definitions (registry scopes) and rows
 * (written by a data pipeline's `features:write` key, read with
 * `registry:read`).
 */
@ApiTags('features')
@Controller('api/v1/feature-views')
export class FeatureViewsController {
  constructor(private readonly views: FeatureViewsService) {}

  @Post()
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Define a feature view: entity keys, typed features, time to live' })
  @ApiBody({ schema: openApiSchema(featureViewSchema) })
  async create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const view = await this.views.create(parseWith(featureViewSchema, body), actor);
    return { ...view, store: this.views.storeKind };
  }

  @Get()
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'List feature views (paged by cursor)' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@Query() query: unknown) {
    const q = parseWith(listQuery, query, 'query');
    const page = await this.views.list(q.limit, q.cursor);
    return { items: page.items.map((v) => ({ ...v, store: this.views.storeKind })), next_cursor: page.next_cursor };
  }

  @Get(':name')
  @RequireScope('registry:read')
  async get(@Param() params: unknown) {
    const view = await this.views.get(parseWith(viewParams, params, 'path').name);
    return { ...view, store: this.views.storeKind };
  }

  @Delete(':name')
  @RequireScope('registry:write')
  @HttpCode(204)
  async remove(@Param() params: unknown) {
    await this.views.remove(parseWith(viewParams, params, 'path').name);
  }

  @Put(':name/rows')
  @RequireScope('features:write')
  @ApiOperation({
    summary: 'Upsert rows: {"rows": [...]}, a JSON array, or text/csv with a header; an older event never overwrites a newer one',
  })
  @ApiConsumes('application/json', 'text/csv')
  writeRows(@Param() params: unknown, @Body() body: unknown) {
    return this.views.writeRows(parseWith(viewParams, params, 'path').name, body);
  }

  @Get(':name/rows/:entity')
  @RequireScope('registry:read')
  @ApiOperation({ summary: "One entity's row, its age and whether it is stale (several keys: ids joined by commas, in key order)" })
  readRow(@Param() params: unknown) {
    const p = parseWith(rowParams, params, 'path');
    return this.views.readRow(p.name, p.entity.split(','));
  }
}
