import { describe, expect, it } from 'vitest';
import { clientErrorResponse } from './http-layer-errors.js';

const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

describe('clientErrorResponse', () => {
  it('answers an unparsable request in the envelope with a stable code', () => {
    const raw = clientErrorResponse({ code: 'HPE_INVALID_HEADER_TOKEN' });
    expect(raw.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(bodyOf(raw).error.code).toBe('BAD_REQUEST');
  });

  it('maps header overflow to 431 and says so', () => {
    const raw = clientErrorResponse({ code: 'HPE_HEADER_OVERFLOW' });
    expect(raw.startsWith('HTTP/1.1 431 ')).toBe(true);
    expect(bodyOf(raw).error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('answers in the Open Inference Protocol shape when the bytes Node read show a /v2 request', () => {
    const raw = clientErrorResponse({ code: 'HPE_HEADER_OVERFLOW', rawPacket: Buffer.from('POST /v2/models/x/infer HTTP/1.1\r\n') });
    expect(bodyOf(raw)).toEqual({ error: 'the request headers exceed the server limit', code: 'HEADERS_TOO_LARGE' });
  });

  it('sends a Content-Length matching the body, multi-byte characters included', () => {
    const raw = clientErrorResponse({ code: 'X' });
    const length = Number(/Content-Length: (\d+)/.exec(raw)![1]);
    expect(Buffer.byteLength(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toBe(length);
  });
});
