import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { randomToken } from '../common/ids.js';

/**
 * `mgk_<key id>_<secret>`: the id names the row (and is shown in listings
 * and history), the secret proves possession. Both are lowercase base32 so a
 * key survives copy-paste, shells and URLs unescaped.
 */
export const KEY_PREFIX = 'mgk_';
export const KEY_ID_LENGTH = 12;
/** 32 random bytes: 256 bits, 52 base32 characters. */
const SECRET_BYTES = 32;
const SECRET_MIN_LENGTH = 32; // 160 bits, the floor for a secret we accept
const SECRET_MAX_LENGTH = 128;
const ID_START = KEY_PREFIX.length;
const ID_END = ID_START + KEY_ID_LENGTH;
const SECRET_START = ID_END + 1;

export interface GeneratedKey {
  id: string;
  /** The whole key, shown to its creator once and never stored. */
  key: string;
  /** sha256 of the secret, hex: what the database keeps. */
  secretSha256: string;
}

export function generateApiKey(): GeneratedKey {
  // 8 random bytes give 13 characters; 12 of them carry 60 bits, plenty for an id.
  const id = randomToken(8).slice(0, KEY_ID_LENGTH);
  const secret = randomToken(SECRET_BYTES);
  return { id, key: `${KEY_PREFIX}${id}_${secret}`, secretSha256: hashSecret(secret).toString('hex') };
}

export function hashSecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

// One buffer reused by every check: the event loop runs one check at a time.
const digestScratch = Buffer.allocUnsafeSlow(32);

/**
 * Whether sha256(secret) is `expected` (32 bytes), compared in constant
 * time: how much of a hash matched must not show in the response time. The
 * digest comes back as a binary (latin1) string copied into a reused buffer,
 * because a `'buffer'` digest costs a fresh Buffer, about twice the hash
 * itself, on every prediction.
 */
export function secretMatches(secret: string, expected: Buffer): boolean {
  if (expected.length !== 32) return false;
  digestScratch.write(hash('sha256', secret, 'binary'), 0, 'binary');
  return timingSafeEqual(digestScratch, expected);
}

function isBase32(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 50 && c <= 55);
}

/**
 * The key id of a credential shaped like a key (prefix, lengths,
 * separator), or undefined. Cheap on purpose, for every prediction: the id
 * is then only a map lookup, and a secret with a stray character fails the
 * hash comparison anyway. Check `isWellFormedKey` before asking the database.
 */
export function keyIdOf(credential: string): string | undefined {
  const n = credential.length;
  if (n < SECRET_START + SECRET_MIN_LENGTH || n > SECRET_START + SECRET_MAX_LENGTH) return undefined;
  if (!credential.startsWith(KEY_PREFIX) || credential.charCodeAt(ID_END) !== 95 /* _ */) return undefined;
  return credential.substring(ID_START, ID_END);
}

/** Every character of the id and the secret is lowercase base32. */
export function isWellFormedKey(credential: string): boolean {
  if (keyIdOf(credential) === undefined) return false;
  for (let i = ID_START; i < ID_END; i++) if (!isBase32(credential.charCodeAt(i))) return false;
  for (let i = SECRET_START; i < credential.length; i++) if (!isBase32(credential.charCodeAt(i))) return false;
  return true;
}

/** The secret part of a credential that `keyIdOf` accepted. */
export function secretOf(credential: string): string {
  return credential.substring(SECRET_START);
}

export function parseApiKey(credential: string): { id: string; secret: string } | undefined {
  if (!isWellFormedKey(credential)) return undefined;
  return { id: keyIdOf(credential)!, secret: secretOf(credential) };
}

/**
 * The credential a request carries: `Authorization: Bearer <key>`, else
 * `X-API-Key: <key>`. `undefined` when neither header is present; `''` when
 * one is present but unusable (another auth scheme, a repeated header), so
 * the caller can say "malformed" rather than "missing".
 */
export function credentialFrom(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const bearer = bearerToken(auth);
    if (bearer !== undefined) return bearer;
  }
  const apiKey = headers['x-api-key'];
  if (apiKey !== undefined) return typeof apiKey === 'string' ? apiKey.trim() : '';
  return auth === undefined ? undefined : '';
}

const BEARER = [98, 101, 97, 114, 101, 114]; // "bearer"

/** The token after a case-insensitive `Bearer` scheme, or undefined for any other scheme. */
function bearerToken(header: string): string | undefined {
  if (header.length < 7) return undefined;
  for (let i = 0; i < 6; i++) if ((header.charCodeAt(i) | 0x20) !== BEARER[i]) return undefined;
  let i = 6;
  const sp = header.charCodeAt(i);
  if (sp !== 32 && sp !== 9) return undefined;
  while (i < header.length && (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 9)) i++;
  let end = header.length;
  while (end > i && (header.charCodeAt(end - 1) === 32 || header.charCodeAt(end - 1) === 9)) end--;
  return header.substring(i, end);
}
