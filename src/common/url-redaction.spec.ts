import { describe, expect, it } from 'vitest';
import { redactUrl } from './url-redaction.js';

describe('redactUrl', () => {
  it('leaves ordinary URLs as they are', () => {
    expect(redactUrl('/v1/models/credit/predict')).toBe('/v1/models/credit/predict');
    expect(redactUrl('/api/v1/models?limit=5&tag=team:risk')).toBe('/api/v1/models?limit=5&tag=team:risk');
  });

  it('drops the secret of a key in a query string or a path, keeping its id', () => {
    expect(redactUrl('/api/v1/models?x=mgk_abc123_s3cr3tS3cr3t')).toBe('/api/v1/models?x=mgk_abc123_[redacted]');
    expect(redactUrl('/api/v1/keys/mgk_abc123_s3cr3t')).toBe('/api/v1/keys/mgk_abc123_[redacted]');
  });

  it('drops the value of any query parameter named like a credential', () => {
    expect(redactUrl('/metrics?api_key=hunter2&limit=3&access_token=abc')).toBe('/metrics?api_key=[redacted]&limit=3&access_token=[redacted]');
  });
});
