// Finds the scenario files (bench/scenarios/*.mjs, in file-name order) and
// picks the ones to run: the `--only` / BENCH_SCENARIOS list by name or
// number, or every scenario that runs by default, plus what they need.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH } from './settings.mjs';
import { BenchError } from './log.mjs';

const DIR = path.join(BENCH, 'scenarios');

export async function loadScenarios() {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.mjs')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const all = [];
  for (const f of files) {
    const s = (await import(pathToFileURL(path.join(DIR, f)).href)).default;
    if (!s || typeof s.name !== 'string' || typeof s.run !== 'function' || typeof s.rows !== 'function') {
      throw new BenchError(`bench/scenarios/${f} must export default { name, run(h, {round}), rows(h) }`);
    }
    all.push({ byDefault: true, needs: [], once: false, lastRound: false, ...s, file: f });
  }
  return all;
}

/** The scenarios to run, in file order: those asked for (or the defaults) and, first, what they need. */
export function select(all, only) {
  const byKey = new Map();
  for (const s of all) {
    byKey.set(s.name, s);
    if (s.number) byKey.set(String(s.number), s);
  }
  const chosen = new Set();
  const add = (key, from) => {
    const s = byKey.get(key);
    if (!s) throw new BenchError(`no scenario "${key}"${from ? ` (needed by ${from})` : ''}; there are: ${all.map((x) => x.name).join(', ')}`);
    if (chosen.has(s)) return;
    chosen.add(s);
    for (const n of s.needs) add(n, s.name);
  };
  for (const key of only ?? all.filter((s) => s.byDefault).map((s) => s.name)) add(key);
  return all.filter((s) => chosen.has(s));
}
