import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics, METRIC_NAMES } from '../src/metrics/metrics.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two instances in one process, as several e2e suites run: their registries must not mix.
    a = await startTestApp({ db });
    b = await startTestApp({ db });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('answers without a key, in the Prometheus text format, with every Modelgate metric and the process metrics', async () => {
    const res = await a.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const name of METRIC_NAMES) expect(res.text).toContain(`# TYPE ${name} `);
    expect(res.text).toContain('# TYPE process_resident_memory_bytes gauge');
  });

  it('is left out of the OpenAPI document', async () => {
    const res = await a.http.get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).not.toContain('/metrics');
  });

  it('keeps the numbers of two application instances in one process apart', async () => {
    a.app.get(Metrics).servingHandles('isolated', 1, 'v1', 'v1').requests.inc(3);
    expect(a.app.get(Metrics)).not.toBe(b.app.get(Metrics));
    const series = 'modelgate_prediction_requests_total{model="isolated",version="1",variant="v1",protocol="v1"}';
    expect(sample((await a.http.get('/metrics')).text, series)).toBe(3);
    expect(sample((await b.http.get('/metrics')).text, series)).toBeUndefined();
  });

  it('counts HTTP requests by route pattern, and requests no route matched as "unmatched"', async () => {
    await b.http.get('/health/live').expect(200);
    await b.http.get('/health/live').expect(200);
    await b.http.get('/no/such/route/123').expect(404);
    const text = (await b.http.get('/metrics')).text;
    expect(sample(text, 'modelgate_http_requests_total{method="GET",route="/health/live",status="200"}')).toBe(2);
    expect(sample(text, 'modelgate_http_request_duration_seconds_count{method="GET",route="/health/live"}')).toBe(2);
    expect(sample(text, 'modelgate_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('/no/such/route/123');
  });
});
