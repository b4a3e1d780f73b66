import type { FastifyInstance } from 'fastify';
import type { TestApp } from './app.js';

/** One fixture row as a named instance. */
export function instanceOf(features: string[], data: Float64Array, row: number): Record<string, number | null> {
  const width = features.length;
  return Object.fromEntries(features.map((f, j) => [f, data[row * width + j]]));
}

/**
 * A request through Fastify's in-process injection: the same routing,
 * hooks and handlers as over a socket, without the socket, for tests that
 * send thousands of requests.
 */
export function inject(t: TestApp, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const fastify = t.app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  return fastify.inject({ method, url, payload: payload as any, headers: { ...t.admin, ...headers } });
}

/** Chi-square goodness of fit statistic of observed counts against expected proportions. */
export function chiSquare(observed: number[], proportions: number[]): number {
  const total = observed.reduce((a, b) => a + b, 0);
  return observed.reduce((s, o, i) => s + (o - total * proportions[i]) ** 2 / (total * proportions[i]), 0);
}

/** Chi-square critical values at p = 0.001 by degrees of freedom. */
export const CHI2_CRITICAL_0_001: Record<number, number> = { 1: 10.828, 2: 13.816, 3: 16.266 };
