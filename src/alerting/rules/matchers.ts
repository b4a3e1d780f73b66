/**
 * Matching an alert against silences and receiver routes. Model names match
 * a glob where `*` is any run of characters (`credit-*`); everything else is
 * literal, so a model name with a dot or a dash needs no escaping.
 */
export interface AlertLabels {
  model: string;
  rule: string;
  severity: string;
}

export function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(value);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface SilenceMatchers {
  model?: string;
  rule?: string;
  severity?: string;
}

/** A silence matches when every matcher it names matches; it must name at least one (checked where it is created). */
export function silenceMatches(m: SilenceMatchers, a: AlertLabels): boolean {
  if (m.model !== undefined && !globMatches(m.model, a.model)) return false;
  if (m.rule !== undefined && m.rule !== a.rule) return false;
  if (m.severity !== undefined && m.severity !== a.severity) return false;
  return true;
}

export interface ReceiverMatch {
  models?: string[];
  severities?: string[];
}

/** An absent or empty list routes everything. */
export function receiverMatches(m: ReceiverMatch | null | undefined, a: AlertLabels): boolean {
  if (m?.models?.length && !m.models.some((p) => globMatches(p, a.model))) return false;
  if (m?.severities?.length && !m.severities.includes(a.severity)) return false;
  return true;
}
