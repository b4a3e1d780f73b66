import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { credentialFrom, generateApiKey, hashSecret, isWellFormedKey, keyIdOf, parseApiKey, secretMatches, secretOf } from './api-key-format.js';

const SECRET = 'a'.repeat(52);
const KEY = `mgk_abcdefgh2345_${SECRET}`;

describe('API key format', () => {
  it('generates keys as mgk_, a 12-character base32 id, an underscore and a secret of at least 160 bits', () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^mgk_[a-z2-7]{12}_[a-z2-7]{52}$/);
    expect(k.key.startsWith(`mgk_${k.id}_`)).toBe(true);
    // 52 base32 characters carry 260 bits of which 256 are random.
    expect(secretOf(k.key).length * 5).toBeGreaterThanOrEqual(160);
  });

  it('stores the sha256 of the secret, never the secret', () => {
    const k = generateApiKey();
    const secret = secretOf(k.key);
    expect(k.secretSha256).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(k.secretSha256).not.toContain(secret);
  });

  it('never generates the same id or secret twice', () => {
    const keys = Array.from({ length: 2000 }, generateApiKey);
    expect(new Set(keys.map((k) => k.id)).size).toBe(keys.length);
    expect(new Set(keys.map((k) => secretOf(k.key))).size).toBe(keys.length);
  });

  it('parses a well-formed key into its id and secret', () => {
    expect(parseApiKey(KEY)).toEqual({ id: 'abcdefgh2345', secret: SECRET });
    expect(keyIdOf(KEY)).toBe('abcdefgh2345');
  });

  it.each([
    ['an empty string', ''],
    ['another prefix', `mgx_abcdefgh2345_${SECRET}`],
    ['an upper-case prefix', `MGK_abcdefgh2345_${SECRET}`],
    ['an id that is too short', `mgk_abcdefgh234_${SECRET}`],
    ['an id that is too long', `mgk_abcdefgh23456_${SECRET}`],
    ['an id with a character outside base32', `mgk_abcdefgh2341_${SECRET}`],
    ['an upper-case id', `mgk_ABCDEFGH2345_${SECRET}`],
    ['a missing separator', `mgk_abcdefgh2345${SECRET}`],
    ['a secret below 160 bits', `mgk_abcdefgh2345_${'a'.repeat(31)}`],
    ['an overlong secret', `mgk_abcdefgh2345_${'a'.repeat(129)}`],
    ['a secret with a character outside base32', `mgk_abcdefgh2345_${'a'.repeat(51)}=`],
    ['a secret with a space', `mgk_abcdefgh2345_${'a'.repeat(51)} `],
    ['the test suites admin token', 'mgk_testadmin_0123456789abcdefghijklmnopqrstuv'],
  ])('refuses %s', (_what, credential) => {
    expect(isWellFormedKey(credential)).toBe(false);
    expect(parseApiKey(credential)).toBeUndefined();
  });

  it('finds the id of anything shaped like a key without checking every character', () => {
    expect(keyIdOf(`mgk_ABCDEFGH2345_${SECRET}`)).toBe('ABCDEFGH2345');
    expect(keyIdOf(`mgk_abcdefgh234_${SECRET}`)).toBeUndefined();
    expect(keyIdOf(`mgx_abcdefgh2345_${SECRET}`)).toBeUndefined();
    expect(keyIdOf(`mgk_abcdefgh2345_${'a'.repeat(31)}`)).toBeUndefined();
  });

  it('matches a secret against the stored sha256 and nothing else', () => {
    const stored = hashSecret(SECRET);
    expect(secretMatches(SECRET, stored)).toBe(true);
    expect(secretMatches(SECRET.slice(0, -1) + 'b', stored)).toBe(false);
    expect(secretMatches('', stored)).toBe(false);
    expect(secretMatches(SECRET, stored.subarray(0, 31))).toBe(false);
    // Non-ASCII input must not be truncated into a match by the latin1 round trip.
    expect(secretMatches('é'.repeat(10), hashSecret('é'.repeat(10)))).toBe(true);
  });
});

describe('credentials in request headers', () => {
  it('takes the key from Authorization: Bearer', () => {
    expect(credentialFrom({ authorization: `Bearer ${KEY}` })).toBe(KEY);
  });

  it('accepts the Bearer scheme in any case and with extra spaces', () => {
    expect(credentialFrom({ authorization: `bearer ${KEY}` })).toBe(KEY);
    expect(credentialFrom({ authorization: `BEARER   ${KEY}  ` })).toBe(KEY);
  });

  it('takes the key from X-API-Key', () => {
    expect(credentialFrom({ 'x-api-key': KEY })).toBe(KEY);
  });

  it('prefers Authorization when both headers are sent', () => {
    expect(credentialFrom({ authorization: `Bearer ${KEY}`, 'x-api-key': 'other' })).toBe(KEY);
  });

  it('falls back to X-API-Key when Authorization carries another scheme', () => {
    expect(credentialFrom({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': KEY })).toBe(KEY);
  });

  it('reports no credential when neither header is sent', () => {
    expect(credentialFrom({})).toBeUndefined();
    expect(credentialFrom({ host: 'x' })).toBeUndefined();
  });

  it('reports an unusable credential for another scheme, an empty bearer or a repeated X-API-Key', () => {
    expect(credentialFrom({ authorization: 'Basic dXNlcjpwYXNz' })).toBe('');
    expect(credentialFrom({ authorization: 'Bearer' })).toBe('');
    expect(credentialFrom({ authorization: `Bearer${KEY}` })).toBe('');
    expect(credentialFrom({ authorization: 'Bearer    ' })).toBe('');
    expect(credentialFrom({ 'x-api-key': [KEY, KEY] as unknown as string })).toBe('');
  });
});
