import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/common/net.js';
import { eventually } from './app.js';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export function alertmanagerAvailable(): boolean {
  return fs.existsSync(ALERTMANAGER_BIN);
}

export interface TestAlertmanager {
  url: string;
  /** GET /api/v2/alerts from Alertmanager's own API. */
  alerts(): Promise<any[]>;
  stop(): Promise<void>;
}

/**
 * A real Alertmanager (the Debian package's binary) on a free loopback port,
 * with its own config and storage directory, clustering off. `webhookUrl`
 * is where it sends its own notifications (with resolved ones).
 */
export async function startAlertmanager(opts: { resolveTimeout: string; webhookUrl: string }): Promise<TestAlertmanager> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelgate-am-'));
  const port = await freePort();
  await fsp.writeFile(
    path.join(dir, 'alertmanager.yml'),
    [
      'global:',
      `  resolve_timeout: ${opts.resolveTimeout}`,
      'route:',
      '  receiver: loopback',
      "  group_by: ['dedup_key']",
      '  group_wait: 0s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: loopback',
      '    webhook_configs:',
      `      - url: ${opts.webhookUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => (await fetch(`${url}/-/ready`)).ok, 20_000, 50);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`alertmanager did not start: ${stderr.slice(-2000)} (${(err as Error).message})`);
  }
  return {
    url,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`);
      if (!res.ok) throw new Error(`alertmanager answered ${res.status}`);
      return (await res.json()) as any[];
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
