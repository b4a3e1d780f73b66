import type { CachedKey } from './key-cache.js';

/**
 * Credentials whose secret already matched a cached key's hash, each with
 * the very entry it matched. A hit spares the sha256 of the secret on every
 * request; it decides nothing else. `CachedKey.hash` never changes, so
 * "this credential matched this entry" stays true for the entry's life;
 * a reload or an eviction puts a new entry (or none) in the key cache, and
 * the next request hashes once again. Revocation, expiry, scopes and models
 * are still checked on the entry every request, so they hold exactly as
 * without this map.
 *
 * Only credentials that matched are kept, so a guesser cannot fill it;
 * bounded all the same (cleared when full). A lookup hashes the presented
 * string with V8's string hash and compares characters only on an equal
 * hash, so how long a wrong secret takes does not depend on how much of it
 * is right.
 */
export class VerifiedCredentials {
  private readonly matched = new Map<string, CachedKey>();

  constructor(private readonly max = 1024) {}

  /** Whether `credential` matched `entry` (this object, not an earlier load of the same key). */
  has(credential: string, entry: CachedKey): boolean {
    return this.matched.get(credential) === entry;
  }

  remember(credential: string, entry: CachedKey): void {
    if (this.matched.size >= this.max && !this.matched.has(credential)) this.matched.clear();
    this.matched.set(credential, entry);
  }

  clear(): void {
    this.matched.clear();
  }

  get size(): number {
    return this.matched.size;
  }
}
