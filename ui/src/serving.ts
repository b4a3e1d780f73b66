import type { Model, TrafficPolicy } from './api/types.js';

export interface Slice {
  /** The variant name the monitor reports (route name, else `v<version>` or the alias). */
  label: string;
  version: number | null;
  weight: number;
}

/** Where unpinned traffic goes: the policy's routes (aliases resolved), or all of it to `production`. */
export function servingSlices(aliases: Record<string, number>, traffic: TrafficPolicy | null): Slice[] {
  if (!traffic) {
    const v = aliases.production;
    return v === undefined ? [] : [{ label: 'production', version: v, weight: 100 }];
  }
  return traffic.routes.map((r) => {
    const version = r.version ?? (r.alias !== undefined ? (aliases[r.alias] ?? null) : null);
    return { label: r.name ?? r.alias ?? `v${r.version}`, version, weight: r.weight };
  });
}

export function servingSummary(m: Model): string {
  const s = servingSlices(m.aliases, m.traffic_policy);
  if (s.length === 0) return 'nothing serves';
  return s.map((x) => `${x.label}${x.version !== null ? ` (v${x.version})` : ''} ${x.weight}%`).join(' · ');
}
