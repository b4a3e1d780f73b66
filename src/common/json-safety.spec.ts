import { describe, expect, it } from 'vitest';
import { ValidationFailed } from './errors.js';
import { assertStorableJson, unstorableText } from './json-safety.js';

function refusal(value: unknown, where = 'body'): ValidationFailed {
  try {
    assertStorableJson(value, where);
  } catch (err) {
    return err as ValidationFailed;
  }
  throw new Error('expected a refusal');
}

describe('assertStorableJson', () => {
  it('accepts ordinary documents, surrogate pairs included', () => {
    expect(() => assertStorableJson({ a: [1, 'x', null, { b: '😀 é' }], c: true })).not.toThrow();
  });

  it('names the field holding a NUL character, nested in arrays and objects', () => {
    const err = refusal({ lineage: { runs: ['ok', 'a\u0000b'] } });
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details.field).toBe('lineage.runs.1');
  });

  it('refuses lone surrogates, high or low, in values and in keys', () => {
    expect(refusal({ a: '\ud800' }).details.field).toBe('a');
    expect(refusal({ a: 'x\udc00' }).details.field).toBe('a');
    expect(refusal({ ['k\ud800']: 1 }).details.field).toBe('k\\ud800');
  });

  it('refuses a top-level string with the place it came from as the field', () => {
    expect(refusal('a\u0000', 'query').details.field).toBe('query');
  });

  it('refuses nesting deeper than 32 levels and accepts exactly 32', () => {
    let ok: unknown = 1;
    for (let i = 0; i < 32; i++) ok = [ok];
    expect(() => assertStorableJson(ok)).not.toThrow();
    expect(refusal([ok]).message).toContain('nested deeper than 32');
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(refusal(deep).code).toBe('VALIDATION_FAILED');
  });

  it('bounds the number of values in one document', () => {
    expect(refusal(new Array(200_001).fill(0)).message).toContain('more than 200000');
  });
});

describe('unstorableText', () => {
  it('says why a string cannot be stored, or nothing', () => {
    expect(unstorableText('plain')).toBeUndefined();
    expect(unstorableText('\u0000')).toMatch(/NUL/);
    expect(unstorableText('\ud83d')).toMatch(/surrogate/);
  });
});
