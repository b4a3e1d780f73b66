import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../../auth/scopes.decorator.js';
import { parseWith } from '../../common/validation.js';
import { driftParams, driftQuerySchema } from './drift.dto.js';
import { DriftService } from './drift.service.js';

@ApiTags('monitoring')
@Controller('api/v1/models')
export class DriftController {
  constructor(private readonly drift: DriftService) {}

  @Get(':name/drift')
  @RequireScope('monitor:read')
  @ApiOperation({ summary: 'Drift and data-quality checks per window (newest first, paged), and the latest per series and feature' })
  @ApiQuery({ name: 'version', required: false })
  @ApiQuery({ name: 'variant', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601; windows starting at or after' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601; windows starting before' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  history(@Param() params: unknown, @Query() query: unknown) {
    return this.drift.history(parseWith(driftParams, params, 'path').name, parseWith(driftQuerySchema, query, 'query'));
  }
}
