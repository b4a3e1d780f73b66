import { describe, expect, it } from 'vitest';
import { commonCase } from './fast-lane-case.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': '20' };
const MAX = 1024;

describe('the fast lane takes only the plain common case of the /v1 predict routes', () => {
  it('names the route, its parameters and explain_features', () => {
    expect(commonCase('POST', '/v1/models/bc/predict', JSON_HEADERS, MAX)).toEqual({ protocol: 'v1', kind: 'routed', route: '/v1/models/:name/predict', params: { name: 'bc' }, explain: false });
    expect(commonCase('POST', '/v1/models/bc/versions/3/predict', JSON_HEADERS, MAX)).toEqual({
      protocol: 'v1',
      kind: 'version',
      route: '/v1/models/:name/versions/:version/predict',
      params: { name: 'bc', version: '3' },
      explain: false,
    });
    expect(commonCase('POST', '/v1/models/bc/aliases/prod/predict?explain_features=true', { ...JSON_HEADERS, 'content-type': 'application/json; charset=utf-8' }, MAX)).toEqual({
      protocol: 'v1',
      kind: 'alias',
      route: '/v1/models/:name/aliases/:alias/predict',
      params: { name: 'bc', alias: 'prod' },
      explain: true,
    });
    expect(commonCase('POST', '/v1/models/bc/predict?explain_features=1', JSON_HEADERS, MAX)).toMatchObject({ explain: true });
    expect(commonCase('POST', '/v1/models/bc/predict?explain_features=no', JSON_HEADERS, MAX)).toMatchObject({ explain: false });
  });

  it.each([
    ['another method', 'PUT', '/v1/models/bc/predict', JSON_HEADERS],
    ['another route', 'POST', '/v1/feedback', JSON_HEADERS],
    ['a trailing slash', 'POST', '/v1/models/bc/predict/', JSON_HEADERS],
    ['percent-encoding', 'POST', '/v1/models/b%63/predict', JSON_HEADERS],
    ['a parameter over 100 characters', 'POST', `/v1/models/${'a'.repeat(101)}/predict`, JSON_HEADERS],
    ['another query', 'POST', '/v1/models/bc/predict?x=1', JSON_HEADERS],
    ['explain_features twice', 'POST', '/v1/models/bc/predict?explain_features=1&explain_features=1', JSON_HEADERS],
    ['an encoded query value', 'POST', '/v1/models/bc/predict?explain_features=%74rue', JSON_HEADERS],
    ['no content type', 'POST', '/v1/models/bc/predict', { 'content-length': '20' }],
    ['another content type', 'POST', '/v1/models/bc/predict', { ...JSON_HEADERS, 'content-type': 'text/plain' }],
    ['JSON spelled otherwise', 'POST', '/v1/models/bc/predict', { ...JSON_HEADERS, 'content-type': 'application/json;charset=utf-8' }],
    ['no content length', 'POST', '/v1/models/bc/predict', { 'content-type': 'application/json' }],
    ['an empty body', 'POST', '/v1/models/bc/predict', { ...JSON_HEADERS, 'content-length': '0' }],
    ['a body over the limit', 'POST', '/v1/models/bc/predict', { ...JSON_HEADERS, 'content-length': String(MAX + 1) }],
    ['a chunked body', 'POST', '/v1/models/bc/predict', { ...JSON_HEADERS, 'transfer-encoding': 'chunked' }],
    ['Expect', 'POST', '/v1/models/bc/predict', { ...JSON_HEADERS, expect: '100-continue' }],
    ['an encoded body', 'POST', '/v1/models/bc/predict', { ...JSON_HEADERS, 'content-encoding': 'gzip' }],
  ])('leaves %s to Fastify', (_what, method, url, headers) => {
    expect(commonCase(method, url, headers, MAX)).toBeUndefined();
  });

  it('takes a body exactly at the limit', () => {
    expect(commonCase('POST', '/v1/models/bc/predict', { ...JSON_HEADERS, 'content-length': String(MAX) }, MAX)).toBeDefined();
  });
});

const RAW_HEADERS = { 'content-length': '20', 'inference-header-content-length': '10' };

describe('the fast lane takes only the plain common case of the V2 infer routes', () => {
  it('names the route and its parameters, with a JSON body or binary tensor data', () => {
    expect(commonCase('POST', '/v2/models/bc/infer', JSON_HEADERS, MAX)).toEqual({ protocol: 'v2', route: '/v2/models/:name/infer', params: { name: 'bc' }, raw: false });
    expect(commonCase('POST', '/v2/models/bc/versions/2/infer', RAW_HEADERS, MAX)).toEqual({
      protocol: 'v2',
      route: '/v2/models/:name/versions/:version/infer',
      params: { name: 'bc', version: '2' },
      raw: true,
    });
    expect(commonCase('POST', '/v2/models/bc/infer', { ...RAW_HEADERS, 'content-type': 'application/octet-stream' }, MAX)?.protocol).toBe('v2');
    expect(commonCase('POST', '/v2/models/bc/infer', { ...JSON_HEADERS, 'content-type': 'application/json; charset=utf-8' }, MAX)?.protocol).toBe('v2');
    expect(commonCase('POST', '/v2/models/bc/infer?trace=1&x=y', JSON_HEADERS, MAX)?.protocol).toBe('v2');
  });

  it.each([
    ['another V2 route', 'POST', '/v2/repository/models/bc/load', JSON_HEADERS],
    ['model metadata', 'GET', '/v2/models/bc', {}],
    ['a trailing slash', 'POST', '/v2/models/bc/infer/', JSON_HEADERS],
    ['percent-encoding', 'POST', '/v2/models/b%63/infer', JSON_HEADERS],
    ['an encoded query', 'POST', '/v2/models/bc/infer?x=%41', JSON_HEADERS],
    ['an empty Content-Type', 'POST', '/v2/models/bc/infer', { ...RAW_HEADERS, 'content-type': '' }],
    ['octet-stream with parameters', 'POST', '/v2/models/bc/infer', { ...RAW_HEADERS, 'content-type': 'application/octet-stream; x=1' }],
    ['text/plain', 'POST', '/v2/models/bc/infer', { ...JSON_HEADERS, 'content-type': 'text/plain' }],
    ['no content length', 'POST', '/v2/models/bc/infer', { 'inference-header-content-length': '10' }],
    ['a body over the limit', 'POST', '/v2/models/bc/infer', { ...RAW_HEADERS, 'content-length': String(MAX + 1) }],
    ['a chunked body', 'POST', '/v2/models/bc/infer', { ...RAW_HEADERS, 'transfer-encoding': 'chunked' }],
    ['a body without a content type on /v1', 'POST', '/v1/models/bc/predict', RAW_HEADERS],
  ])('leaves %s to Fastify', (_what, method, url, headers) => {
    expect(commonCase(method, url, headers, MAX)).toBeUndefined();
  });
});
