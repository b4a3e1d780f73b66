import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import directions of STYLE.md, checked on every test run: a lint rule
 * on import paths that needs no plugin.
 */
const SRC = import.meta.dirname;

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

const imports = (file: string) =>
  [...fs.readFileSync(file, 'utf8').matchAll(/^import [^;]*? from '([^']+)';/gms)].map((m) => m[1]);
const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
/** The top-level folder an import resolves into, or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return rel(path.resolve(path.dirname(file), spec)).split('/')[0];
}

const all = files(SRC);

describe('import directions', () => {
  it('keeps pure logic free of Nest, the database and HTTP', () => {
    const pure = all.filter((f) => /^(serving\/(routing|batching)|monitoring\/(sketch|stats|estimate))\//.test(rel(f)) || rel(f) === 'serving/feature-reader.ts' || /^features\/(feature-view|online-features|online-feature-fill|store-breaker)\.ts$/.test(rel(f)));
    expect(pure.length).toBeGreaterThan(20);
    for (const f of pure) {
      for (const spec of imports(f)) {
        expect(/^(@nestjs|typeorm|pg|fastify)/.test(spec), `${rel(f)} imports ${spec}`).toBe(false);
      }
    }
  });

  it('lets nothing import serving but the app module and health', () => {
    for (const f of all) {
      const from = rel(f).split('/')[0];
      if (from === 'serving' || rel(f) === 'app.module.ts' || from === 'health') continue;
      for (const spec of imports(f)) expect(target(f, spec), `${rel(f)} imports ${spec}`).not.toBe('serving');
    }
  });

  it('keeps the onnx layer free of HTTP and the registry free of serving concerns', () => {
    for (const f of all.filter((f) => rel(f).startsWith('onnx/'))) {
      for (const spec of imports(f)) {
        expect(/^(fastify|@nestjs\/platform|\.\.\/(registry|serving|auth))/.test(spec), `${rel(f)} imports ${spec}`).toBe(false);
      }
    }
    for (const f of all.filter((f) => rel(f).startsWith('registry/'))) {
      for (const spec of imports(f)) {
        expect(['serving', 'metrics'].includes(target(f, spec)), `${rel(f)} imports ${spec}`).toBe(false);
        if (target(f, spec) === 'monitoring') expect(spec, `${rel(f)} may use only pure sketches and calibration`).toMatch(/monitoring\/(sketch|estimate)\//);
      }
    }
  });

  it('keeps the online feature store below serving and the monitor (serving looks features up, not the other way)', () => {
    for (const f of all.filter((f) => rel(f).startsWith('features/'))) {
      for (const spec of imports(f)) {
        expect(['serving', 'registry', 'alerting'].includes(target(f, spec)), `${rel(f)} imports ${spec}`).toBe(false);
        if (target(f, spec) === 'monitoring') expect(spec, `${rel(f)} may use only the pure CSV reader`).toMatch(/monitoring\/sketch\/csv\.js$/);
      }
    }
  });

  it('keeps the serving edges to their protocol: one inference core routes and picks versions for /v1, V2 REST and gRPC', () => {
    const edges = all.filter((f) => /^serving\/(v1-routes\.ts|v2-routes\.ts|grpc\/|v2\/(infer-|oip-payload|v2-wire))/.test(rel(f)));
    expect(edges.map(rel)).toEqual(expect.arrayContaining(['serving/v1-routes.ts', 'serving/v2-routes.ts', 'serving/grpc/grpc-handlers.ts', 'serving/v2/oip-payload.ts']));
    for (const f of edges) {
      for (const spec of imports(f)) {
        expect(/(routing-table|model-runtime|routing\/traffic-router|routing\/routing-plan|prediction\.service|version-attempt)\.js$/.test(spec), `${rel(f)} imports ${spec}`).toBe(false);
      }
      const text = fs.readFileSync(f, 'utf8');
      expect(text, `${rel(f)} resolves targets or versions itself`).not.toMatch(/\b(choose|loadedFor|stickySource|stickyKeyFrom|runTensors|onDemand)\(|\bruntime\.get\(|\bRoutingTable\b|\bModelRuntime\b/);
    }
    for (const edge of ['serving/v1-routes.ts', 'serving/v2-routes.ts', 'serving/grpc/grpc-handlers.ts']) {
      expect(fs.readFileSync(path.join(SRC, edge), 'utf8'), edge).toMatch(/this\.core\.infer\(/);
    }
  });

  it('keeps every source file under about 400 lines', () => {
    for (const f of all) {
      const lines = fs.readFileSync(f, 'utf8').split('\n').length;
      expect(lines, rel(f)).toBeLessThanOrEqual(420);
    }
  });
});
