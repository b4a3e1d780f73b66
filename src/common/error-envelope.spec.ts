import { describe, expect, it } from 'vitest';
import { renderError } from './error-envelope.js';

describe('renderError, the last line for bad values and transport failures', () => {
  it.each(['22021', '22P05', '22003', '22P02'])('maps PostgreSQL %s to 400 VALIDATION_FAILED, on the error or its driverError', (code) => {
    expect(renderError(Object.assign(new Error('x'), { code }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(renderError(Object.assign(new Error('x'), { driverError: { code } }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it.each(['Multipart: Boundary not found', 'Unexpected end of multipart data', 'Part terminated early due to unexpected end of multipart data', 'The needle cannot have a length bigger than 256.'])(
    'maps busboy\'s "%s" to 400 MALFORMED_MULTIPART',
    (message) => {
      expect(renderError(new Error(message))).toMatchObject({ status: 400, code: 'MALFORMED_MULTIPART' });
    },
  );

  it("maps Fastify's router errors into the envelope's codes", () => {
    expect(renderError(Object.assign(new Error('bad'), { code: 'FST_ERR_BAD_URL' }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(renderError(Object.assign(new Error('long'), { code: 'FST_ERR_MAX_PARAM_LENGTH' }))).toMatchObject({ status: 414, code: 'URI_TOO_LONG' });
  });

  it('still answers an unknown failure as a 500 INTERNAL', () => {
    expect(renderError(new Error('something broke'))).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});
