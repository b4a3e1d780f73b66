import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/scopes.decorator.js';
import { ServiceUnavailable } from '../common/errors.js';
import { ReadinessService } from './readiness.service.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessService,
  ) {}

  /** The process is up and its event loop turns; nothing external is checked. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  async ready() {
    try {
      return await this.health.check(this.readiness.indicators());
    } catch (err) {
      throw err instanceof ServiceUnavailableException ? notReady(err.getResponse() as HealthCheckResult) : err;
    }
  }
}

/**
 * Terminus refuses with its result inside an HttpException, which the
 * envelope would flatten to "Service Unavailable Exception": an operator
 * looking at a pod that never becomes ready needs the failing checks named.
 */
export function notReady(result: HealthCheckResult): ServiceUnavailable {
  const failing = Object.entries(result.error ?? {}).map(([name, r]) => ({ name, message: (r as { message?: string } | undefined)?.message ?? r?.status ?? "down" }));
  const why = failing.map((f) => `${f.name}: ${f.message}`).join('; ') || 'a check failed';
  return new ServiceUnavailable('NOT_READY', `not ready (${why})`, { failing: failing.map((f) => f.name), checks: result.details }, 1);
}
