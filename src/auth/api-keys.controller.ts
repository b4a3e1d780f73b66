import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { openApiSchema, parseWith } from '../common/validation.js';
import { createdKeyViewSchema, createKeySchema, keyViewSchema, listKeysQuerySchema } from './api-key.dto.js';
import { ApiKeysService } from './api-keys.service.js';
import { type Actor, CurrentActor, RequireKey, RequireScope } from './scopes.decorator.js';

@ApiTags('keys')
@RequireScope('admin')
@Controller('api/v1/keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the answer is the only time its secret is shown' })
  @ApiBody({ schema: openApiSchema(createKeySchema) })
  @ApiResponse({ status: 201, schema: createdKeyViewSchema })
  // The answer carries the secret: no cache, shared or private, may keep it.
  @Header('Cache-Control', 'no-store')
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.keys.create(parseWith(createKeySchema, body), actor);
  }

  @Get()
  @ApiOperation({ summary: 'List API keys, revoked ones included, without secrets, oldest first, a page at a time (limit, cursor)' })
  @ApiResponse({
    status: 200,
    schema: { type: 'object', properties: { keys: { type: 'array', items: keyViewSchema }, next_cursor: { type: ['string', 'null'] } } },
  })
  list(@Query() query: unknown) {
    return this.keys.list(parseWith(listKeysQuerySchema, query, 'query'));
  }

  @Get('self')
  @RequireKey()
  @ApiOperation({ summary: "The caller's own key (name, scopes, models; never a secret), for any valid key: what the console may offer" })
  @ApiResponse({ status: 200, schema: keyViewSchema })
  self(@CurrentActor() actor: Actor) {
    return this.keys.self(actor);
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: 'key id (the part after mgk_)' })
  @ApiResponse({ status: 200, schema: keyViewSchema })
  get(@Param('id') id: string) {
    return this.keys.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', description: 'key id (the part after mgk_)' })
  @ApiOperation({ summary: 'Revoke an API key, on every replica within a second' })
  async revoke(@Param('id') id: string): Promise<void> {
    await this.keys.revoke(id);
  }
}
