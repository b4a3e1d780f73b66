import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/common/ids.js';
import { ADMIN_TOKEN, eventually } from './support/app.js';
import { type AppProcess, ensureBuilt, spawnApp } from './support/app-process.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { fixtureBytes } from './support/registry.js';

/**
 * SIGKILL, not a shutdown: the built service in a child process is killed
 * in the middle of writes, then started again on the same database and data
 * directory. Every acknowledged write must be there, and nothing half-done
 * may be left once the restart has swept.
 */
describe('the process killed mid-write', () => {
  let db: TestDatabase;
  let dataDir: string;
  let app: AppProcess | undefined;
  const base = () => app!.url;
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

  async function start(): Promise<void> {
    // An unfinished upload is an orphan at once: the start-up sweep removes it.
    app = await spawnApp('kill', { DATABASE_URL: db.url, LOG_LEVEL: 'error', MODELGATE_UPLOAD_ORPHAN_AFTER_MS: '0' }, { dataDir });
  }

  async function kill(): Promise<void> {
    const a = app!;
    app = undefined;
    await a.kill9();
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-kill-'));
    await start();
    await fetch(`${base()}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"name":"credit","task":"binary_classification"}' });
    const form = new FormData();
    form.append('file', new Blob([fixtureBytes('breast_cancer_xgb.onnx')]), 'model.onnx');
    expect((await fetch(`${base()}/api/v1/models/credit/versions`, { method: 'POST', headers: auth, body: form })).status).toBe(201);
  });
  afterAll(async () => {
    if (app) await kill();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write and leaves no half-written upload after a SIGKILL mid-upload and mid-promotion', async () => {
    // Acknowledged before the kill: the alias to version 1.
    expect((await fetch(`${base()}/api/v1/models/credit/aliases/production`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"version":1}' })).status).toBe(200);

    // An upload whose body is still arriving when the process dies.
    const socket = net.connect(Number(new URL(base()).port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.on('error', () => undefined);
    const head = `--b\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    socket.write(
      `POST /api/v1/models/credit/versions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        `Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${head.length + 50_000_000}\r\n\r\n${head}`,
    );
    socket.write(Buffer.alloc(2_000_000, 7));
    // A promotion in flight at the same moment: acknowledged or not, never half-applied.
    const promotion = fetch(`${base()}/api/v1/models/credit/aliases/staging`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"version":1}' }).then(
      (r) => r.status,
      () => 0,
    );
    await eventually(async () => (await fs.readdir(path.join(dataDir, 'scratch')).catch(() => [])).length > 0, 10_000, 10);
    await kill();
    socket.destroy();
    const promoted = await promotion;

    await start();
    const versions: any = await (await fetch(`${base()}/api/v1/models/credit/versions`, { headers: auth })).json();
    expect(versions.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    const history: any = await (await fetch(`${base()}/api/v1/models/credit/history`, { headers: auth })).json();
    const aliases = history.revisions[0].after.aliases as Record<string, number>;
    expect(aliases.production).toBe(1);
    if (promoted === 200) expect(aliases.staging).toBe(1);
    // A prediction is served from the acknowledged alias.
    const p = await fetch(`${base()}/v1/models/credit/predict`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [new Array(30).fill(0.1)] }) });
    expect(p.status).toBe(200);
    // Nothing half-written survives the restart: only version 1's artifact, no scratch file, no temporary.
    await eventually(async () => (await fs.readdir(path.join(dataDir, 'scratch')).catch(() => [])).length === 0, 10_000);
    const artifacts = (await fs.readdir(path.join(dataDir, 'artifacts'), { recursive: true })).map(String).filter((f) => f.endsWith('.onnx') || f.includes('.tmp'));
    expect(artifacts).toHaveLength(1);
  });

  it('keeps every acknowledged feedback batch whole, and no batch half-stored, after a SIGKILL mid-batches', async () => {
    if (!app) await start();
    // 40 batches of 100 labels each, in flight together; the process dies once a few are acknowledged.
    const batches = Array.from({ length: 40 }, (_, b) => Array.from({ length: 100 }, (_, i) => ({ prediction_id: uuidv7(), label: (b + i) % 2 })));
    const acknowledged = new Set<number>();
    const sent = batches.map((items, b) =>
      fetch(`${base()}/v1/feedback`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(items) }).then(
        (r) => {
          if (r.status === 200) acknowledged.add(b);
        },
        () => undefined,
      ),
    );
    await eventually(async () => acknowledged.size >= 3, 20_000, 1);
    await kill();
    await Promise.all(sent);
    const acked = [...acknowledged];
    expect(acked.length).toBeGreaterThanOrEqual(3);
    // The kill landed mid-batches: some were still unanswered.
    expect(acked.length).toBeLessThan(batches.length);

    await start();
    const ids = batches.flat().map((i) => i.prediction_id);
    const stored = await withClient(db.url, async (c) => new Set((await c.query<{ id: string }>(`SELECT prediction_id::text AS id FROM prediction_labels WHERE prediction_id = ANY($1::uuid[])`, [ids])).rows.map((r) => r.id)));
    for (const [b, items] of batches.entries()) {
      const kept = items.filter((i) => stored.has(i.prediction_id)).length;
      if (acknowledged.has(b)) expect(kept, `acknowledged batch ${b}`).toBe(100);
      else expect([0, 100], `unacknowledged batch ${b} is all or nothing`).toContain(kept);
    }
    // The restarted service answers the acknowledged labels as duplicates, not as new.
    const again: any = await (await fetch(`${base()}/v1/feedback`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(batches[acked[0]]) })).json();
    expect(again.duplicate).toBe(100);
  });
});
