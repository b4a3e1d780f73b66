import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('error codes', () => {
  it('documents every stable code the service can answer in the README', () => {
    const codes = new Set<string>();
    for (const file of sources(path.join(ROOT, 'src'))) {
      const text = fs.readFileSync(file, 'utf8');
      // Codes are the string handed to an AppError subclass: super(kind, 'CODE', ...) or super('CODE', ...).
      for (const m of text.matchAll(/super\(\s*(?:'[a-z_]+',\s*)?'([A-Z][A-Z_]+)'/g)) codes.add(m[1]);
      for (const m of text.matchAll(/new (?:ServiceUnavailable|NotFound|Conflict|Unprocessable|Overloaded|ModelFailure|DeadlineExceeded)\(\s*'([A-Z][A-Z_]+)'/g)) codes.add(m[1]);
    }
    expect(codes.size).toBeGreaterThan(20);
    const missing = [...codes].filter((c) => !README.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});
