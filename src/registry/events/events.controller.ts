import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../../auth/scopes.decorator.js';
import { pageQuery } from '../../common/page-cursor.js';
import { nameSchema, parseWith } from '../../common/validation.js';
import { isEventPattern } from './event-types.js';
import { RegistryEvents } from './registry-events.js';

const listEventsSchema = z.strictObject({
  ...pageQuery(100),
  model: nameSchema('model').optional(),
  type: z
    .string()
    .max(100)
    .refine((t) => t !== '*' && isEventPattern(t), 'type must be an event type or a family such as alias.*')
    .optional(),
});

@ApiTags('registry')
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly events: RegistryEvents) {}

  @Get()
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'Registry events (versions, aliases, traffic, rollbacks, rollouts, gates, approvals), newest first; filter by model and type' })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({ name: 'type', required: false, description: 'an event type (alias.moved) or a family (alias.*)' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Query() query: unknown) {
    return this.events.list(parseWith(listEventsSchema, query, 'query'));
  }
}
