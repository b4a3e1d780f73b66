import { Body, Controller, Get, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Actor, CurrentActor, RequireScope } from '../auth/scopes.decorator.js';
import { openApiSchema, parseWith } from '../common/validation.js';
import { modelParams, versionParams } from './dto/params.js';
import { listVersionsQuerySchema, patchVersionSchema, uploadMetadataSchema } from './dto/version.dto.js';
import { VersionsService } from './versions.service.js';

@ApiTags('registry')
@Controller('api/v1/models/:name/versions')
export class VersionsController {
  constructor(private readonly versions: VersionsService) {}

  @Post()
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Upload a version: the .onnx file, an optional baseline and metadata' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: { type: 'string', format: 'binary', description: 'the ONNX model' },
        baseline: { type: 'string', format: 'binary', description: 'CSV with a header, JSON rows, or a precomputed sketch' },
        metadata: { ...openApiSchema(uploadMetadataSchema), description: 'JSON' },
      },
    },
  })
  upload(@Param() params: unknown, @Req() request: FastifyRequest, @CurrentActor() actor: Actor) {
    return this.versions.upload(parseWith(modelParams, params, 'path').name, request, actor);
  }

  @Get()
  @RequireScope('registry:read')
  list(@Param() params: unknown, @Query() query: unknown) {
    return this.versions.list(parseWith(modelParams, params, 'path').name, parseWith(listVersionsQuerySchema, query, 'query'));
  }

  @Get(':version')
  @RequireScope('registry:read')
  get(@Param() params: unknown) {
    const p = parseWith(versionParams, params, 'path');
    return this.versions.get(p.name, p.version);
  }

  @Get(':version/baseline')
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'The training-baseline sketch of a version' })
  async baseline(@Param() params: unknown) {
    const p = parseWith(versionParams, params, 'path');
    return { model: p.name, version: p.version, baseline: await this.versions.baseline(p.name, p.version) };
  }

  @Get(':version/artifact')
  @RequireScope('registry:read')
  @ApiOperation({ summary: 'Download the ONNX artifact; its sha256 is in the X-Artifact-Sha256 header' })
  @ApiProduces('application/octet-stream')
  async artifact(@Param() params: unknown, @Res() reply: FastifyReply) {
    const p = parseWith(versionParams, params, 'path');
    const a = await this.versions.openArtifact(p.name, p.version);
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', a.size)
      .header('content-disposition', `attachment; filename="${a.filename}"`)
      .header('x-artifact-sha256', a.sha256)
      .header('digest', `sha-256=${Buffer.from(a.sha256, 'hex').toString('base64')}`)
      .send(a.body);
  }

  @Patch(':version')
  @RequireScope('registry:write')
  @ApiOperation({ summary: 'Change tags or description, archive or unarchive (409 while aliased or routed)' })
  @ApiBody({ schema: openApiSchema(patchVersionSchema) })
  patch(@Param() params: unknown, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const p = parseWith(versionParams, params, 'path');
    return this.versions.patch(p.name, p.version, parseWith(patchVersionSchema, body), actor);
  }
}
