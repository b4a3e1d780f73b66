import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` (vite build) writes the console: `dist/ui` beside the compiled service, from src/ and from dist/ alike. */
export const DEFAULT_UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface ConsoleFile {
  body: Buffer;
  type: string;
  cacheControl: string;
}

/**
 * The built console, read into memory once (a few hundred kB): answers a
 * path under /ui with its file, or with index.html for a page path the
 * browser's router owns (the SPA fallback). A missing asset (a path with a
 * file extension) is not a page: it gets null, so a stale script tag fails
 * loudly instead of parsing HTML as JavaScript.
 */
export class ConsoleFiles {
  private readonly files = new Map<string, ConsoleFile>();

  private constructor(readonly dir: string) {}

  /** null when the console was not built (no index.html in `dir`). */
  static load(dir: string): ConsoleFiles | null {
    if (!fs.existsSync(path.join(dir, 'index.html'))) return null;
    const c = new ConsoleFiles(dir);
    c.readDir('');
    return c;
  }

  private readDir(rel: string): void {
    for (const e of fs.readdirSync(path.join(this.dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) this.readDir(r);
      else if (e.isFile()) this.files.set(r, fileOf(r, fs.readFileSync(path.join(this.dir, r))));
    }
  }

  /** `rel` is the path after `/ui/`, without the query string. */
  resolve(rel: string): ConsoleFile | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rel);
    } catch {
      return null;
    }
    // Only names read at start are served, so `..` cannot reach outside; this keeps the answer obvious.
    if (decoded.split('/').includes('..')) return null;
    const hit = this.files.get(decoded);
    if (hit) return hit;
    if (path.extname(decoded) !== '') return null;
    return this.files.get('index.html')!;
  }
}

function fileOf(rel: string, body: Buffer): ConsoleFile {
  const type = TYPES[path.extname(rel).toLowerCase()] ?? 'application/octet-stream';
  // Vite names assets by content hash: they never change. index.html names them, so it is revalidated.
  const cacheControl = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  return { body, type, cacheControl };
}
