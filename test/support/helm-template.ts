import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/**
 * A small renderer for the Go-template subset the Modelgate chart uses, so
 * a test can render the chart without `helm` (not packaged for this
 * machine). It supports: text and actions with `{{-`/`-}}` trimming and
 * comments; `if`/`else if`/`else`, `with`, `range` (lists and maps, with
 * `$k, $v :=`), `define` and `include`; `$x :=` variables; pipelines with
 * parentheses; fields on `.`, `$` and variables; and the functions listed
 * in FUNCS. Anything else is an error, never a silent guess. Reading a
 * `.Values` key that values.yaml does not define is recorded in `missing`.
 */
type Node =
  | { t: 'text'; v: string }
  | { t: 'out'; p: string }
  | { t: 'assign'; name: string; p: string }
  | { t: 'if'; branches: { cond: string; body: Node[] }[]; otherwise: Node[] }
  | { t: 'with'; p: string; body: Node[]; otherwise: Node[] }
  | { t: 'range'; vars: string[]; p: string; body: Node[]; otherwise: Node[] };

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

export interface ChartContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion: string };
}

export class HelmTemplate {
  private readonly defines = new Map<string, Node[]>();
  readonly missing = new Set<string>();

  constructor(private readonly chartDir: string) {}

  /** Registers the `define`s of every template file (helpers first, as helm does). */
  load(files: string[]): void {
    for (const f of files) this.parse(fs.readFileSync(f, 'utf8'));
  }

  render(file: string, ctx: ChartContext): string {
    const nodes = this.parse(fs.readFileSync(file, 'utf8'));
    const root = { ...ctx, Files: { Get: (p: string) => fs.readFileSync(path.join(this.chartDir, p), 'utf8') } };
    return this.exec(nodes, { dot: root, vars: new Map([['$', root]]) });
  }

  private parse(src: string): Node[] {
    const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
    const tokens: ({ t: 'text'; v: string } | { t: 'act'; v: string })[] = [];
    let last = 0;
    let trimNext = false;
    for (let m; (m = re.exec(src)); ) {
      let text = src.slice(last, m.index);
      if (trimNext) text = text.replace(/^\s+/, '');
      if (m[1]) text = text.replace(/\s+$/, '');
      if (text) tokens.push({ t: 'text', v: text });
      const act = m[2].trim();
      if (!act.startsWith('/*')) tokens.push({ t: 'act', v: act });
      trimNext = Boolean(m[3]);
      last = re.lastIndex;
    }
    let tail = src.slice(last);
    if (trimNext) tail = tail.replace(/^\s+/, '');
    if (tail) tokens.push({ t: 'text', v: tail });

    let i = 0;
    const block = (): { body: Node[]; end: string } => {
      const body: Node[] = [];
      while (i < tokens.length) {
        const tok = tokens[i++];
        if (tok.t === 'text') {
          body.push(tok);
          continue;
        }
        const a = tok.v;
        if (a === 'end' || a === 'else' || a.startsWith('else if ')) return { body, end: a };
        let m: RegExpMatchArray | null;
        if ((m = a.match(/^define\s+"([^"]+)"$/))) {
          const inner = block();
          this.defines.set(m[1], inner.body);
        } else if ((m = a.match(/^if\s+([\s\S]+)$/))) {
          const branches = [{ cond: m[1], body: [] as Node[] }];
          let otherwise: Node[] = [];
          for (;;) {
            const b = block();
            branches[branches.length - 1].body = b.body;
            if (b.end === 'end') break;
            if (b.end === 'else') {
              const e = block();
              otherwise = e.body;
              break;
            }
            branches.push({ cond: b.end.slice('else if '.length), body: [] });
          }
          body.push({ t: 'if', branches, otherwise });
        } else if ((m = a.match(/^(with|range)\s+([\s\S]+)$/))) {
          let p = m[2];
          let vars: string[] = [];
          const decl = p.match(/^(\$\w+)(?:\s*,\s*(\$\w+))?\s*:=\s*([\s\S]+)$/);
          if (decl) {
            vars = [decl[1], decl[2]].filter(Boolean) as string[];
            p = decl[3];
          }
          const b = block();
          const e = b.end === 'else' ? block() : { body: [] };
          body.push(m[1] === 'with' ? { t: 'with', p, body: b.body, otherwise: e.body } : { t: 'range', vars, p, body: b.body, otherwise: e.body });
        } else if ((m = a.match(/^(\$\w+)\s*:?=\s*([\s\S]+)$/))) {
          body.push({ t: 'assign', name: m[1], p: m[2] });
        } else {
          body.push({ t: 'out', p: a });
        }
      }
      return { body, end: '' };
    };
    return block().body;
  }

  private exec(nodes: Node[], s: Scope): string {
    let out = '';
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          out += n.v;
          break;
        case 'out': {
          const v = this.pipeline(n.p, s);
          out += v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
          break;
        }
        case 'assign':
          s.vars.set(n.name, this.pipeline(n.p, s));
          break;
        case 'if': {
          const hit = n.branches.find((b) => truthy(this.pipeline(b.cond, s)));
          out += this.exec(hit ? hit.body : n.otherwise, s);
          break;
        }
        case 'with': {
          const v = this.pipeline(n.p, s);
          out += truthy(v) ? this.exec(n.body, { dot: v, vars: s.vars }) : this.exec(n.otherwise, s);
          break;
        }
        case 'range': {
          const v = this.pipeline(n.p, s);
          const entries: [unknown, unknown][] = Array.isArray(v)
            ? v.map((x, k) => [k, x])
            : v && typeof v === 'object'
              ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
              : [];
          if (!entries.length) out += this.exec(n.otherwise, s);
          for (const [k, x] of entries) {
            const vars = new Map(s.vars);
            if (n.vars.length === 1) vars.set(n.vars[0], x);
            if (n.vars.length === 2) vars.set(n.vars[0], k).set(n.vars[1], x);
            out += this.exec(n.body, { dot: x, vars });
          }
          break;
        }
      }
    }
    return out;
  }

  private pipeline(src: string, s: Scope): unknown {
    let acc: unknown;
    let first = true;
    for (const cmd of splitTop(src, '|')) {
      const args = tokenize(cmd.trim());
      acc = this.command(args, s, first ? undefined : [acc]);
      first = false;
    }
    return acc;
  }

  private command(tokens: string[], s: Scope, piped?: unknown[]): unknown {
    const [head, ...rest] = tokens;
    const args = () => [...rest.map((t) => this.value(t, s)), ...(piped ?? [])];
    if (head === 'include') {
      const [name, dot] = args() as [string, unknown];
      const body = this.defines.get(name);
      if (!body) throw new Error(`include of undefined template "${name}"`);
      return this.exec(body, { dot, vars: new Map(s.vars) });
    }
    if (/^[a-zA-Z]\w*$/.test(head) && !['true', 'false', 'nil'].includes(head)) {
      const fn = FUNCS[head];
      if (!fn) throw new Error(`template function "${head}" is not supported by this renderer`);
      return fn(...args());
    }
    const v = this.value(head, s);
    if (typeof v === 'function') return v(...args());
    if (rest.length || piped) throw new Error(`cannot call ${head}`);
    return v;
  }

  private value(tok: string, s: Scope): unknown {
    if (tok.startsWith('(')) return this.pipeline(tok.slice(1, -1), s);
    if (tok.startsWith('"')) return JSON.parse(tok);
    if (tok.startsWith('`')) return tok.slice(1, -1);
    if (/^-?\d+(\.\d+)?$/.test(tok)) return Number(tok);
    if (tok === 'true' || tok === 'false') return tok === 'true';
    if (tok === 'nil') return undefined;
    let base: unknown;
    let rest: string;
    if (tok.startsWith('$')) {
      const m = tok.match(/^(\$\w*)(.*)$/)!;
      if (!s.vars.has(m[1])) throw new Error(`undefined variable ${m[1]}`);
      base = s.vars.get(m[1]);
      rest = m[2];
    } else if (tok.startsWith('.')) {
      base = s.dot;
      rest = tok === '.' ? '' : tok;
    } else throw new Error(`cannot read "${tok}"`);
    const keys = rest.split('.').filter(Boolean);
    let cur = base;
    const seen: string[] = [];
    for (const k of keys) {
      seen.push(k);
      if (cur && typeof cur === 'object' && k in (cur as object)) cur = (cur as Record<string, unknown>)[k];
      else {
        if (seen[0] === 'Values' || (tok.startsWith('$.') && seen[0] === 'Values')) this.missing.add(seen.join('.'));
        return undefined;
      }
    }
    return cur;
  }
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

const indent = (n: number, v: unknown) =>
  String(v)
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

const FUNCS: Record<string, (...a: any[]) => unknown> = {
  // helm's toYaml drops the trailing newline.
  toYaml: (v) => (v === undefined || v === null ? 'null' : YAML.stringify(v, { lineWidth: 0 }).replace(/\n$/, '')),
  fromYaml: (s) => YAML.parse(String(s)),
  indent: (n, v) => indent(n, v),
  nindent: (n, v) => `\n${indent(n, v)}`,
  quote: (v) => JSON.stringify(v === undefined || v === null ? '' : String(v)),
  default: (d, v) => (truthy(v) ? v : d),
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  not: (v) => !truthy(v),
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  printf: (f: string, ...a) => {
    let i = 0;
    return f.replace(/%[sdv]/g, () => String(a[i++]));
  },
  trunc: (n, s) => String(s).slice(0, n),
  fail: (msg) => {
    throw new Error(String(msg));
  },
  join: (sep, list) => (Array.isArray(list) ? list.map(String).join(String(sep)) : String(list ?? '')),
  trimSuffix: (suf, s) => (String(s).endsWith(suf) ? String(s).slice(0, -suf.length) : String(s)),
  add: (...a) => a.reduce((x, y) => Number(x) + Number(y), 0),
  sub: (a, b) => Number(a) - Number(b),
  mul: (...a) => a.reduce((x, y) => Number(x) * Number(y), 1),
  div: (a, b) => Math.trunc(Number(a) / Number(b)),
  int: (v) => Math.trunc(Number(v)),
  toString: (v: unknown) => String(v),
  sha256sum: (v) => createHash('sha256').update(String(v)).digest('hex'),
  required: (msg, v) => {
    if (!truthy(v)) throw new Error(msg);
    return v;
  },
};

/** Splits on `sep` outside quotes and parentheses. */
function splitTop(src: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      if (c === '\\' && quote === '"') {
        cur += c + src[++i];
        continue;
      }
      if (c === quote) quote = '';
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

function tokenize(cmd: string): string[] {
  return splitTop(cmd.replace(/\s+/g, ' '), ' ').filter(Boolean);
}
