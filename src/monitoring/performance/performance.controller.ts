import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../../auth/scopes.decorator.js';
import { nameSchema, parseWith } from '../../common/validation.js';
import { PerformanceService } from './performance.service.js';

const time = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const querySchema = z.object({
  version: z.coerce.number().int().min(1).optional(),
  variant: z.string().min(1).max(128).optional(),
  from: time.optional(),
  to: time.optional(),
  bucket: z.coerce.number().int().min(1).max(366 * 86_400).optional(),
  split: z.enum(['feature_source']).optional(),
});
const paramsSchema = z.object({ name: nameSchema('model name') });

@ApiTags('monitoring')
@Controller('api/v1/models')
export class PerformanceController {
  constructor(private readonly performance: PerformanceService) {}

  @Get(':name/performance')
  @RequireScope('monitor:read')
  @ApiOperation({ summary: 'Live AUC and friends per version and variant (window and buckets), DeLong between variants, business outcomes' })
  @ApiQuery({ name: 'version', required: false })
  @ApiQuery({ name: 'variant', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'RFC 3339; default 24 h before `to`' })
  @ApiQuery({ name: 'to', required: false, description: 'RFC 3339; default now' })
  @ApiQuery({ name: 'bucket', required: false, description: 'bucket length in seconds (default 3600)' })
  @ApiQuery({
    name: 'split',
    required: false,
    enum: ['feature_source'],
    description:
      'feature_source: the same figures apart for predictions served with every feature sent by the caller (`sent`) and with at least one feature not sent, ' +
      'i.e. looked up in the online store or filled by its default/missing policy (`looked_up`). The answer then has `split`, ' +
      '`feature_sources: {sent: {series, comparisons}, looked_up: {series, comparisons}}` and `source_comparisons` (per series, DeLong of looked_up minus sent) ' +
      'instead of `series` and `comparisons`',
  })
  get(@Param() params: unknown, @Query() query: unknown) {
    const q = parseWith(querySchema, query, 'query');
    return this.performance.performance(parseWith(paramsSchema, params, 'path').name, {
      version: q.version,
      variant: q.variant,
      from: q.from,
      to: q.to,
      bucketSeconds: q.bucket,
      split: q.split,
    });
  }
}
