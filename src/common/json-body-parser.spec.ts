import { describe, expect, it } from 'vitest';
import { MalformedJson } from './errors.js';
import { parseJsonBody } from './json-body-parser.js';

describe('parseJsonBody', () => {
  it('parses ordinary JSON natively', () => {
    expect(parseJsonBody('{"instances": [{"a": 1, "b": null}]}')).toEqual({ instances: [{ a: 1, b: null }] });
  });

  it('refuses prototype keys, plain or unicode-escaped', () => {
    expect(() => parseJsonBody('{"__proto__": {"admin": true}}')).toThrow(MalformedJson);
    expect(() => parseJsonBody('{"\\u005f_proto__": {"admin": true}}')).toThrow(MalformedJson);
    expect(() => parseJsonBody('{"constructor": {"prototype": {"x": 1}}}')).toThrow(MalformedJson);
  });

  it('keeps the word constructor in values and other escapes', () => {
    expect(parseJsonBody('{"note": "a \\u00e9 constructor"}')).toEqual({ note: 'a é constructor' });
  });

  it('answers malformed or empty bodies with MALFORMED_JSON', () => {
    expect(() => parseJsonBody('{"a":')).toThrow(/malformed JSON/);
    expect(() => parseJsonBody('')).toThrow(/empty/);
  });
});
