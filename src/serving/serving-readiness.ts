import { Injectable } from '@nestjs/common';
import { RoutingTable } from './routing-table.js';
import { ServingSync } from './serving-sync.js';

/** Can this replica serve: the routing table was built and every routed version is loaded and warm. */
@Injectable()
export class ServingReadiness {
  constructor(
    private readonly sync: ServingSync,
    private readonly table: RoutingTable,
  ) {}

  check(): { ready: boolean; reason?: string; missing: { model: string; version: number }[] } {
    if (!this.sync.initialSyncDone) return { ready: false, reason: 'routing table not built yet', missing: [] };
    const missing = this.table.missing();
    if (missing.length) {
      return { ready: false, reason: `routed versions not loaded: ${missing.map((m) => `${m.model} v${m.version}`).join(', ')}`, missing };
    }
    return { ready: true, missing };
  }
}
