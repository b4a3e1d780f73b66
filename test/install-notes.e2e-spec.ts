import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const installed = Object.entries(lock.packages as Record<string, any>).filter(([p]) => p.startsWith('node_modules/'));
const nameOf = (p: string) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** What `npm install` prints is either gone or explained in the README. */
describe('install noise is true and documented', () => {
  it('declares a Node range that the Node running these tests satisfies', () => {
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
  });

  it('names in the README every installed package whose engines refuse the oldest Node we declare (the EBADENGINE lines)', () => {
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    const refusing = installed
      .filter(([, meta]) => !meta.dev && meta.engines?.node && !semver.satisfies(oldest, meta.engines.node))
      .map(([p, meta]) => `${nameOf(p)}@${semver.major(meta.version)}`);
    expect(refusing.length).toBeGreaterThan(0);
    for (const name of new Set(refusing)) expect(readme, `${name} prints EBADENGINE but the README does not say so`).toContain(`\`${name}\``);
  });

  it('decides, in allowScripts, on every dependency install script (none runs or is skipped unreviewed)', () => {
    const withScripts = new Set(installed.filter(([, meta]) => meta.hasInstallScript).map(([p]) => nameOf(p)));
    expect([...withScripts].filter((name) => !(name in pkg.allowScripts))).toEqual([]);
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
  });

  it('keeps onnxruntime-node-install=skip in .npmrc for npm versions without allowScripts', () => {
    expect(fs.readFileSync(path.join(ROOT, '.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m);
  });
});
