import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installHttpMetrics } from './http-metrics.js';
import { Metrics } from './metrics.js';

async function serverWithMetrics() {
  const fastify = Fastify();
  const metrics = new Metrics();
  installHttpMetrics(fastify, metrics);
  fastify.post('/v1/models/:name/predict', async (req, reply) => {
    if ((req.params as { name: string }).name === 'broken') return reply.code(503).send({ error: 'down' });
    return { ok: true };
  });
  fastify.get('/health/live', async () => ({ status: 'ok' }));
  fastify.route({ method: ['PUT', 'PATCH'], url: '/things/:id', handler: async () => ({}) });
  await fastify.ready();
  return { fastify, metrics };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('installHttpMetrics', () => {
  it('labels requests with the route pattern, never the raw URL', async () => {
    const { fastify, metrics } = await serverWithMetrics();
    for (const name of ['a', 'b', 'c']) await fastify.inject({ method: 'POST', url: `/v1/models/${name}/predict`, payload: {} });
    await fastify.inject({ method: 'POST', url: '/v1/models/broken/predict', payload: {} });
    const text = await metrics.render();
    expect(sample(text, 'modelgate_http_requests_total{method="POST",route="/v1/models/:name/predict",status="200"}')).toBe(3);
    expect(sample(text, 'modelgate_http_requests_total{method="POST",route="/v1/models/:name/predict",status="503"}')).toBe(1);
    expect(sample(text, 'modelgate_http_request_duration_seconds_count{method="POST",route="/v1/models/:name/predict"}')).toBe(4);
    expect(text).not.toMatch(/route="\/v1\/models\/a/);
    await fastify.close();
  });

  it('counts requests no route matched under one "unmatched" route', async () => {
    const { fastify, metrics } = await serverWithMetrics();
    await fastify.inject({ method: 'GET', url: '/no/such/thing' });
    await fastify.inject({ method: 'GET', url: '/another/unknown?x=1' });
    const text = await metrics.render();
    expect(sample(text, 'modelgate_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(2);
    expect(text).not.toContain('/no/such/thing');
    await fastify.close();
  });

  it('labels each method of a multi-method route, and the HEAD route Fastify adds for a GET', async () => {
    const { fastify, metrics } = await serverWithMetrics();
    await fastify.inject({ method: 'PUT', url: '/things/1' });
    await fastify.inject({ method: 'PATCH', url: '/things/2' });
    await fastify.inject({ method: 'HEAD', url: '/health/live' });
    const text = await metrics.render();
    expect(sample(text, 'modelgate_http_requests_total{method="PUT",route="/things/:id",status="200"}')).toBe(1);
    expect(sample(text, 'modelgate_http_requests_total{method="PATCH",route="/things/:id",status="200"}')).toBe(1);
    expect(sample(text, 'modelgate_http_requests_total{method="HEAD",route="/health/live",status="200"}')).toBe(1);
    await fastify.close();
  });

  it('exports no series for a route until it has answered a request', async () => {
    const { fastify, metrics } = await serverWithMetrics();
    const before = await metrics.render();
    expect(before).not.toContain('route="/health/live"');
    await fastify.inject({ method: 'GET', url: '/health/live' });
    expect(await metrics.render()).toContain('route="/health/live"');
    await fastify.close();
  });

  it('keeps the route-level onResponse hooks a route declared', async () => {
    const fastify = Fastify();
    const metrics = new Metrics();
    installHttpMetrics(fastify, metrics);
    let ran = 0;
    fastify.get('/own-hook', { onResponse: (_req, _reply, done) => (ran++, done()) }, async () => 'x');
    await fastify.inject({ method: 'GET', url: '/own-hook' });
    expect(ran).toBe(1);
    expect(sample(await metrics.render(), 'modelgate_http_requests_total{method="GET",route="/own-hook",status="200"}')).toBe(1);
    await fastify.close();
  });
});
