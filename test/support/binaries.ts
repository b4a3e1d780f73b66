import fs from 'node:fs';
import path from 'node:path';
import { describe } from 'vitest';

/** The first executable named `name` on PATH or in the Debian locations, if any. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `describe` when the binary exists; otherwise a skipped suite with a printed
 * reason, or, under MODELGATE_TEST_REQUIRE_ALL=1 (CI), a failing one.
 */
export function describeWithBinary(name: string, pkg: string, title: string, fn: (bin: string) => void): void {
  const bin = findBinary(name);
  if (bin) {
    describe(title, () => fn(bin));
    return;
  }
  const reason = `${name} not found (Debian package ${pkg})`;
  if (process.env.MODELGATE_TEST_REQUIRE_ALL === '1') {
    describe(title, () => {
      throw new Error(`${reason}, and MODELGATE_TEST_REQUIRE_ALL=1 forbids skipping`);
    });
    return;
  }
  console.warn(`skipping "${title}": ${reason}`);
  describe.skip(title, () => fn(''));
}
