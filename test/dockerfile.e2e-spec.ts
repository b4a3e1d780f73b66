import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/common/net.js';
import { startProcess, waitFor200 } from './support/process.js';

/**
 * No container daemon runs here, so the image is checked by what can be run
 * without one: every file the Dockerfile copies exists and survives
 * .dockerignore, and its start and health commands work from a tree built
 * the way its runtime stage is (production dependencies only, the built dist/).
 */
const ROOT = path.join(import.meta.dirname, '..');
const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}
const INSTR = instructions(DOCKERFILE);
const execForm = (args: string): string[] => JSON.parse(args.replace(/^CMD\s+/, '').replace(/^--\S+\s+/g, ''));

describe('Dockerfile', () => {
  it('builds the console in its build stage', () => {
    const build = INSTR.findIndex((i) => i.op === 'RUN' && i.args === 'npm run build');
    expect(INSTR.slice(0, build).some((i) => i.op === 'COPY' && i.args === 'ui ./ui'), 'COPY ui ./ui before npm run build').toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.build).toMatch(/vite build --config ui\/vite.config.ts/);
  });

  it('copies only files that exist in the repository and that .dockerignore lets through', () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copies = INSTR.filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(fs.existsSync(path.join(ROOT, src)), `COPY ${src}: no such file`).toBe(true);
        expect(ignored, `COPY ${src} is excluded by .dockerignore`).not.toContain(src.replace(/\/$/, ''));
      }
    }
  });

  it('runs as a non-root user, skips the CUDA download, exposes HTTP and gRPC and checks liveness', () => {
    const user = INSTR.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(0|root)$/);
    expect(DOCKERFILE.match(/ONNXRUNTIME_NODE_INSTALL=skip/g)?.length).toBeGreaterThanOrEqual(3);
    expect(DOCKERFILE).toMatch(/npm ci --omit=dev/);
    expect(INSTR.find((i) => i.op === 'EXPOSE')?.args.split(/\s+/)).toEqual(['8080', '8081']);
    expect(INSTR.find((i) => i.op === 'HEALTHCHECK')?.args).toMatch(/\/health\/live/);
    // The runtime stage holds exactly what the clean-install test below starts from.
    const lastFrom = INSTR.map((i) => i.op).lastIndexOf('FROM');
    const runtimeCopies = INSTR.slice(lastFrom).filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(runtimeCopies).toEqual(['--from=deps /app/node_modules ./node_modules', '--from=build /app/dist ./dist', 'proto ./proto', 'package.json ./']);
  });

  describe('from a clean production install', () => {
    let tree: string;
    beforeAll(async () => {
      tree = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-image-'));
      fs.chmodSync(tree, 0o755);
      for (const f of ['package.json', 'package-lock.json', '.npmrc']) fs.copyFileSync(path.join(ROOT, f), path.join(tree, f));
      fs.cpSync(path.join(ROOT, 'proto'), path.join(tree, 'proto'), { recursive: true });
      // What the build stage does, into the tree the runtime stage gets.
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(tree, 'dist')], {
        stdio: 'pipe',
      });
      // The console, as `npm run build` compiles it into dist/ui.
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(ROOT, 'ui/vite.config.ts'), '--outDir', path.join(tree, 'dist', 'ui'), '--logLevel', 'warn'], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: tree,
        stdio: 'pipe',
        env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      });
    }, 600_000);
    afterAll(() => {
      if (tree) fs.rmSync(tree, { recursive: true, force: true });
    });

    it('has no development dependency installed', () => {
      // (typescript itself is there: @nestjs/swagger depends on it.)
      for (const dev of ['vitest', 'supertest', 's3rver', 'fast-check', 'autocannon']) {
        expect(fs.existsSync(path.join(tree, 'node_modules', dev)), dev).toBe(false);
      }
      expect(fs.existsSync(path.join(tree, 'node_modules/onnxruntime-node'))).toBe(true);
    });

    it('starts with its CMD on the embedded default, passes its HEALTHCHECK, and stops cleanly on SIGTERM', async () => {
      const [cmd, ...args] = execForm(INSTR.filter((i) => i.op === 'CMD').at(-1)!.args);
      expect(cmd).toBe('node');
      const port = await freePort();
      const data = path.join(tree, 'data');
      const env = { PATH: process.env.PATH, HOME: tree, PORT: String(port), HOST: '127.0.0.1', MODELGATE_DATA_DIR: data, LOG_LEVEL: 'info', NODE_ENV: 'production', GRPC_PORT: '0' };
      const p = startProcess(process.execPath, args, { cwd: tree, env });
      try {
        await waitFor200(p, `http://127.0.0.1:${port}/health/ready`);
        const [hcCmd, ...hcArgs] = execForm(INSTR.find((i) => i.op === 'HEALTHCHECK')!.args.replace(/^(--\S+\s+)+/, ''));
        expect(hcCmd).toBe('node');
        execFileSync(process.execPath, hcArgs, { env, stdio: 'pipe' }); // throws on a non-zero exit
        expect(fs.existsSync(path.join(data, 'admin.key'))).toBe(true);
        // The console ships in the image: dist/ui, found beside the compiled service.
        const ui = await fetch(`http://127.0.0.1:${port}/ui/models/x`);
        expect(ui.status).toBe(200);
        expect(await ui.text()).toContain('<div id="app"></div>');
      } finally {
        // Nest re-raises the signal once closed: 143 is 128 + SIGTERM, the clean exit a shell reports.
        expect([0, 143], p.output()).toContain(await p.stop('SIGTERM'));
      }
      expect(p.output()).not.toMatch(/graceful shutdown timed out/);

      // A shutdown that cannot finish within MODELGATE_SHUTDOWN_TIMEOUT_MS ends anyway, and says so.
      const port2 = await freePort();
      const hurried = startProcess(process.execPath, args, { cwd: tree, env: { ...env, PORT: String(port2), MODELGATE_SHUTDOWN_TIMEOUT_MS: '1' } });
      await waitFor200(hurried, `http://127.0.0.1:${port2}/health/ready`);
      expect(await hurried.stop('SIGTERM')).toBe(1);
      expect(hurried.output()).toMatch(/graceful shutdown timed out/);
    }, 240_000);
  });
});
