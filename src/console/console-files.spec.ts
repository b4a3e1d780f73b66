import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleFiles } from './console-files.js';

describe('the console files', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-ui-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'export {}');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is absent when nothing was built', () => {
    expect(ConsoleFiles.load(path.join(dir, 'nowhere'))).toBeNull();
  });

  it('serves a hashed asset as immutable and index.html as revalidated', () => {
    const files = ConsoleFiles.load(dir)!;
    expect(files.resolve('assets/index-abc123.js')).toMatchObject({ type: 'text/javascript; charset=utf-8', cacheControl: 'public, max-age=31536000, immutable' });
    expect(files.resolve('index.html')).toMatchObject({ type: 'text/html; charset=utf-8', cacheControl: 'no-cache' });
  });

  it('answers a page path with index.html, for the browser router', () => {
    const files = ConsoleFiles.load(dir)!;
    expect(files.resolve('models/loan/versions/2')?.body.toString()).toContain('<title>x</title>');
  });

  it('refuses a missing asset and a path that climbs out', () => {
    const files = ConsoleFiles.load(dir)!;
    expect(files.resolve('assets/gone-123.js')).toBeNull();
    expect(files.resolve('../package.json')).toBeNull();
    expect(files.resolve('%2e%2e/secret')).toBeNull();
    expect(files.resolve('%E0%A4%A')).toBeNull();
  });
});
