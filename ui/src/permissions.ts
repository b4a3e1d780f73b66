import type { KeySelf, Scope } from './api/types.js';

/** What a key's scopes let through, as the service decides it (src/auth/scopes.ts grantedMask): admin passes everything, registry:write also reads. */
export function can(self: KeySelf | null, scope: Scope): boolean {
  if (!self) return false;
  const held = self.scopes;
  if (held.includes('admin') || held.includes(scope)) return true;
  return scope === 'registry:read' && held.includes('registry:write');
}

/** Why a button is disabled, or null when the key may use it. */
export function refusal(self: KeySelf | null, scope: Scope): string | null {
  if (can(self, scope)) return null;
  const held = self?.scopes.join(', ') || 'no scopes';
  return `Needs the ${scope} scope; your key${self ? ` “${self.name}”` : ''} holds ${held}.`;
}

/**
 * Deciding a request needs `approve` held by the key itself: the service
 * refuses admin without it (APPROVE_SCOPE_REQUIRED), so admin does not pass here.
 */
export function approveRefusal(self: KeySelf | null): string | null {
  if (self?.scopes.includes('approve')) return null;
  const held = self?.scopes.join(', ') || 'no scopes';
  return `Needs the approve scope held by the key itself (admin does not count); your key${self ? ` “${self.name}”` : ''} holds ${held}.`;
}
