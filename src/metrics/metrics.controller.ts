import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Public } from '../auth/scopes.decorator.js';
import { Metrics } from './metrics.js';

/**
 * `GET /metrics` for Prometheus, open without a key. A Nest controller, not
 * a raw route: it is scraped every few seconds, not per prediction, and
 * `@Public()` keeps its openness declared where the scope guard and the
 * route-walking auth test already look. Not JSON, so not in the OpenAPI
 * document.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.render();
  }
}
