import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { openApiSchema, parseWith } from '../common/validation.js';
import { type Actor, CurrentActor, RequireScope } from '../auth/scopes.decorator.js';
import { ackSchema, createReceiverSchema, createSilenceSchema, listAlertsSchema, listSilencesSchema, patchReceiverSchema } from './alerting.dto.js';
import { AlertsService } from './alerts.service.js';
import { ReceiversService, receiverView } from './receivers.service.js';
import { SilencesService } from './silences.service.js';
import { ReceiverTest } from './receiver-test.js';

@ApiTags('alerts')
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @RequireScope('monitor:read')
  @ApiOperation({ summary: 'Alerts, newest first, each with its notifications and their delivery state; filters state, model, severity; paged' })
  list(@Query() query: unknown) {
    return this.alerts.list(parseWith(listAlertsSchema, query, 'query'));
  }

  @Get(':id')
  @RequireScope('monitor:read')
  get(@Param('id') id: string) {
    return this.alerts.get(id);
  }

  @Post(':id/ack')
  @HttpCode(200)
  @RequireScope('monitor:write')
  @ApiOperation({ summary: 'Acknowledge a firing alert: no more re-notification until it resolves or fires again; PagerDuty gets acknowledge' })
  @ApiBody({ schema: openApiSchema(ackSchema) })
  ack(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.alerts.acknowledge(id, parseWith(ackSchema, body ?? {}).note, actor);
  }
}

@ApiTags('alerts')
@Controller('api/v1/silences')
export class SilencesController {
  constructor(private readonly silences: SilencesService) {}

  @Get()
  @RequireScope('monitor:read')
  list(@Query() query: unknown) {
    return this.silences.list(parseWith(listSilencesSchema, query, 'query').active === 'true');
  }

  @Post()
  @RequireScope('monitor:write')
  @ApiOperation({ summary: 'Silence alerts matching {model (glob), rule, severity} until ends_at; matching pages are recorded, not delivered' })
  @ApiBody({ schema: openApiSchema(createSilenceSchema) })
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.silences.create(parseWith(createSilenceSchema, body), actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('monitor:write')
  async expire(@Param('id') id: string): Promise<void> {
    await this.silences.expire(id);
  }
}

@ApiTags('alerts')
@RequireScope('admin')
@Controller('api/v1/receivers')
export class ReceiversController {
  constructor(
    private readonly receivers: ReceiversService,
    private readonly tester: ReceiverTest,
  ) {}

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a signed test event to a webhook receiver now; answers whether it was accepted' })
  test(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.tester.send(id, actor);
  }

  @Get()
  @ApiOperation({ summary: 'Alert receivers, from MODELGATE_RECEIVERS (source env, read-only) and the API; secrets are never shown' })
  async list() {
    return { receivers: (await this.receivers.all()).map(receiverView) };
  }

  @Post()
  @ApiBody({ schema: openApiSchema(createReceiverSchema) })
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.receivers.create(parseWith(createReceiverSchema, body), actor);
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return receiverView(await this.receivers.get(id));
  }

  @Patch(':id')
  @ApiBody({ schema: openApiSchema(patchReceiverSchema) })
  patch(@Param('id') id: string, @Body() body: unknown) {
    return this.receivers.patch(id, parseWith(patchReceiverSchema, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string): Promise<void> {
    await this.receivers.delete(id);
  }
}
