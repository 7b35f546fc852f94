// A small Go text/template evaluator with the Helm functions charts commonly use, so the
// simulator can render and check a chart when no helm binary is available. Supported: fields
// (.Values.a.b, $, $var), pipelines, parentheses, string/number/bool literals, variables
// (:= and =), if/else if/else, with, range (with `.` and $i, $e), define/include, comments and
// whitespace trimming ({{- -}}). Functions it does not know render as a placeholder, so the
// output stays checkable YAML; a real parse error (unbalanced blocks) throws TemplateError.
// executeGoTemplate is the strict mode for templates whose output is data (External Secrets'
// templates, scripts/real-cluster/external-secrets.ts): there, what Go would refuse throws.
import { stringify } from 'yaml';

export interface TemplateContext {
  Values: unknown;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion?: string };
}

export const PLACEHOLDER = 'sim-unrendered';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

// ---- parsing ---------------------------------------------------------------------------------

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; expr: string }
  | { kind: 'if'; branches: Array<{ cond: string; body: Node[] }>; otherwise: Node[] }
  | { kind: 'with' | 'range'; expr: string; body: Node[]; otherwise: Node[] };

type Token = { kind: 'text'; text: string } | { kind: 'action'; body: string };

function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    let text = source.slice(pos, open < 0 ? undefined : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      tokens.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (/^-\s/.test(source.slice(start, start + 2))) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    tokens.push({ kind: 'text', text });
    const close = findClose(source, start);
    if (close < 0) throw new TemplateError(`${file}: unclosed action`);
    let body = source.slice(start, close);
    trimNext = /\s-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    tokens.push({ kind: 'action', body: body.trim() });
    pos = close + 2;
  }
  return tokens;
}

/** The index of the `}}` closing an action, skipping quoted strings and comments. */
function findClose(source: string, from: number): number {
  let i = from;
  while (i < source.length) {
    const ch = source[i];
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) return -1;
      i = end + 2;
    } else if (ch === '"' || ch === '`') {
      i += 1;
      while (i < source.length && source[i] !== ch) i += ch === '"' && source[i] === '\\' ? 2 : 1;
      i += 1;
    } else if (source.startsWith('}}', i)) {
      return i;
    } else {
      i += 1;
    }
  }
  return -1;
}

interface Parsed {
  nodes: Node[];
  defines: Map<string, Node[]>;
}

function parse(source: string, file: string): Parsed {
  const tokens = tokenize(source, file);
  const defines = new Map<string, Node[]>();
  let i = 0;

  function block(): { nodes: Node[]; end: 'end' | 'else' | 'eof'; elseExpr?: string } {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const token = tokens[i++]!;
      if (token.kind === 'text') {
        if (token.text) nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const body = token.body;
      if (body.startsWith('/*')) continue;
      const [keyword = '', ...rest] = body.split(/\s+/);
      const args = rest.join(' ');
      if (keyword === 'end') return { nodes, end: 'end' };
      if (keyword === 'else') return { nodes, end: 'else', elseExpr: args };
      if (keyword === 'if') {
        const branches = [{ cond: args, body: [] as Node[] }];
        let otherwise: Node[] = [];
        for (;;) {
          const inner = block();
          branches.at(-1)!.body = inner.nodes;
          if (inner.end === 'eof') throw new TemplateError(`${file}: unexpected EOF (unclosed {{if}})`);
          if (inner.end === 'end') break;
          const elseIf = /^if\s+(.+)$/.exec(inner.elseExpr ?? '');
          if (elseIf) {
            branches.push({ cond: elseIf[1] ?? '', body: [] });
            continue;
          }
          const last = block();
          if (last.end !== 'end') throw new TemplateError(`${file}: expected {{end}} after {{else}}`);
          otherwise = last.nodes;
          break;
        }
        nodes.push({ kind: 'if', branches, otherwise });
      } else if (keyword === 'with' || keyword === 'range') {
        const inner = block();
        if (inner.end === 'eof') throw new TemplateError(`${file}: unexpected EOF (unclosed {{${keyword}}})`);
        let otherwise: Node[] = [];
        if (inner.end === 'else') {
          const last = block();
          if (last.end !== 'end') throw new TemplateError(`${file}: expected {{end}} after {{else}}`);
          otherwise = last.nodes;
        }
        nodes.push({ kind: keyword, expr: args, body: inner.nodes, otherwise });
      } else if (keyword === 'define' || keyword === 'block') {
        const inner = block();
        if (inner.end !== 'end') throw new TemplateError(`${file}: unexpected EOF (unclosed {{${keyword}}})`);
        const name = /^"([^"]*)"/.exec(args)?.[1] ?? '';
        defines.set(name, inner.nodes);
        if (keyword === 'block') nodes.push({ kind: 'action', expr: `include ${JSON.stringify(name)} ${args.slice(name.length + 2).trim() || '.'}` });
      } else {
        nodes.push({ kind: 'action', expr: body });
      }
    }
    return { nodes, end: 'eof' };
  }

  const top = block();
  if (top.end !== 'eof') throw new TemplateError(`${file}: unexpected {{${top.end}}}`);
  return { nodes: top.nodes, defines };
}

// ---- evaluation ------------------------------------------------------------------------------

interface Scope {
  dot: unknown;
  root: unknown;
  vars: Map<string, unknown>;
  defines: Map<string, Node[]>;
  depth: number;
  /** Set by executeGoTemplate: errors where Go errors, instead of placeholders. */
  strict?: StrictMode;
}

interface StrictMode {
  missingKeyError: boolean;
}

export interface GoTemplateOptions {
  /** Go's Option("missingkey=error"), which External Secrets' v2 templates use. Default: a missing key prints "<no value>", as Go does. */
  missingKeyError?: boolean;
  /** Named in error messages. */
  name?: string;
}

/**
 * Evaluates a Go text/template over plain data the way Go does where this subset can tell:
 * an unknown function or operand, a field of a non-map, a missing key (with missingKeyError),
 * or a map where a string is needed is a TemplateError, never a placeholder. `toJson` encodes
 * as Go's encoding/json does (sorted keys, <, > and & escaped). For templates whose output is
 * data, such as the Secret an External Secrets template builds.
 */
export function executeGoTemplate(source: string, data: unknown, options: GoTemplateOptions = {}): string {
  const parsed = parse(source, options.name ?? 'template');
  return render(parsed.nodes, {
    dot: data,
    root: data,
    vars: new Map(),
    defines: parsed.defines,
    depth: 0,
    strict: { missingKeyError: options.missingKeyError ?? false },
  });
}

export function renderTemplate(source: string, ctx: TemplateContext, file = 'template', shared: Map<string, Node[]> = new Map()): string {
  const parsed = parse(source, file);
  for (const [name, nodes] of parsed.defines) shared.set(name, nodes);
  return render(parsed.nodes, { dot: ctx, root: ctx, vars: new Map(), defines: shared, depth: 0 });
}

/** Collects the `define`s of helper files (`_helpers.tpl`) so templates can `include` them. */
export function collectDefines(sources: Array<[string, string]>): Map<string, Node[]> {
  const defines = new Map<string, Node[]>();
  for (const [file, source] of sources) for (const [name, nodes] of parse(source, file).defines) defines.set(name, nodes);
  return defines;
}

function render(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'action':
        out += action(node.expr, scope);
        break;
      case 'if': {
        const branch = node.branches.find((b) => truthy(pipeline(b.cond, scope)));
        out += render(branch ? branch.body : node.otherwise, scope);
        break;
      }
      case 'with': {
        const value = pipeline(node.expr, scope);
        out += truthy(value) ? render(node.body, { ...scope, dot: value, vars: new Map(scope.vars) }) : render(node.otherwise, scope);
        break;
      }
      case 'range': {
        const decl = /^(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:=\s*(.+)$/.exec(node.expr);
        const value = pipeline(decl ? (decl[3] ?? '') : node.expr, scope);
        const entries: Array<[unknown, unknown]> = Array.isArray(value)
          ? value.map((v, i) => [i, v])
          : value && typeof value === 'object'
            ? Object.entries(value).sort(([a], [b]) => a.localeCompare(b))
            : typeof value === 'number'
              ? Array.from({ length: value }, (_, i) => [i, i])
              : [];
        if (entries.length === 0) {
          out += render(node.otherwise, scope);
          break;
        }
        for (const [key, element] of entries) {
          const vars = new Map(scope.vars);
          if (decl?.[2]) {
            vars.set(decl[1] ?? '', key);
            vars.set(decl[2], element);
          } else if (decl?.[1]) {
            vars.set(decl[1], element);
          }
          out += render(node.body, { ...scope, dot: element, vars });
        }
        break;
      }
    }
  }
  return out;
}

function action(expr: string, scope: Scope): string {
  const assign = /^(\$\w+)\s*(:?=)\s*([\s\S]+)$/.exec(expr);
  if (assign) {
    scope.vars.set(assign[1] ?? '', pipeline(assign[3] ?? '', scope));
    return '';
  }
  const value = pipeline(expr, scope);
  if (scope.strict) return strictPrint(value, expr);
  return print(value);
}

/** What Go prints for a value, or an error where this subset cannot print it as Go would (a map or a list). */
function strictPrint(value: unknown, where: string): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'object') throw new TemplateError(`{{${where}}}: cannot print a ${Array.isArray(value) ? 'list' : 'map'} (use toJson)`);
  return print(value);
}

function print(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return PLACEHOLDER;
}

/** Splits on `sep` at the top level (outside quotes and parentheses). */
function splitTop(text: string, sep: (ch: string) => boolean): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quote) {
      current += ch;
      if (ch === '\\' && quote === '"') current += text[++i] ?? '';
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    if (depth === 0 && !quote && sep(ch)) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function pipeline(expr: string, scope: Scope): unknown {
  let value: unknown;
  let piped = false;
  for (const command of splitTop(expr, (ch) => ch === '|')) {
    const words = splitTop(command, (ch) => /\s/.test(ch));
    const [head = '', ...args] = words;
    if (/^[A-Za-z_]\w*$/.test(head) && !['true', 'false', 'nil'].includes(head)) {
      const values = args.map((a) => operand(a, scope));
      if (piped) values.push(value);
      value = call(head, values, scope);
    } else {
      value = operand(head, scope);
    }
    piped = true;
  }
  return value;
}

function operand(token: string, scope: Scope): unknown {
  if (token.startsWith('(') && token.endsWith(')')) return pipeline(token.slice(1, -1), scope);
  if (token.startsWith('"')) return JSON.parse(token) as string;
  if (token.startsWith('`')) return token.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  if (token === 'true' || token === 'false') return token === 'true';
  if (token === 'nil') return null;
  if (token === '.') return scope.dot;
  if (token.startsWith('.')) return field(scope.dot, token.slice(1), scope.strict);
  if (token === '$') return scope.root;
  if (token.startsWith('$')) {
    const [name = '', ...path] = token.split('.');
    if (scope.strict && name !== '$' && !scope.vars.has(name)) throw new TemplateError(`undefined variable: ${name}`);
    const base = name === '$' ? scope.root : scope.vars.get(name);
    return path.length > 0 ? field(base, path.join('.'), scope.strict) : base;
  }
  if (scope.strict) throw new TemplateError(`unexpected ${JSON.stringify(token)} in operand`);
  return PLACEHOLDER;
}

function field(base: unknown, path: string, strict?: StrictMode): unknown {
  let value = base;
  for (const key of path.split('.').filter(Boolean)) {
    if (value === null || typeof value !== 'object') {
      if (strict) throw new TemplateError(`can't evaluate field ${key} in ${value === null || value === undefined ? 'a nil value' : `type ${typeof value}`}`);
      return undefined;
    }
    if (strict?.missingKeyError && !Object.hasOwn(value, key)) throw new TemplateError(`map has no entry for key ${JSON.stringify(key)}`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

function text(value: unknown): string {
  return print(value);
}

function indentLines(value: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return value
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** Functions that take maps and lists; every other one needs strings, numbers or booleans. */
const TAKES_STRUCTURES = new Set([
  'default',
  'required',
  'toYaml',
  'toJson',
  'eq',
  'ne',
  'not',
  'and',
  'or',
  'empty',
  'len',
  'include',
  'template',
  'dict',
  'list',
  'index',
  'get',
  'hasKey',
]);

function call(name: string, args: unknown[], scope: Scope): unknown {
  const [a, b, c] = args;
  if (scope.strict && !TAKES_STRUCTURES.has(name) && args.some((v) => v !== null && typeof v === 'object'))
    throw new TemplateError(`${name}: wrong type for value; expected a string, got a map or list`);
  switch (name) {
    case 'quote':
      return args.map((v) => JSON.stringify(text(v))).join(' ');
    case 'squote':
      return args.map((v) => `'${text(v)}'`).join(' ');
    case 'default':
      return truthy(b) ? b : a;
    case 'required':
      if (!truthy(b)) throw new TemplateError(`execution error: ${text(a)}`);
      return b;
    case 'printf':
      return formatPrintf(text(a), args.slice(1));
    case 'print':
      return args.map(text).join('');
    case 'toYaml':
      return a === undefined || a === null ? 'null' : stringify(a).replace(/\n$/, '');
    case 'toJson':
      return scope.strict ? goJsonMarshal(a) : JSON.stringify(a ?? null);
    case 'nindent':
      return `\n${indentLines(text(b), Number(a))}`;
    case 'indent':
      return indentLines(text(b), Number(a));
    case 'eq':
      return args.slice(1).some((v) => v === a);
    case 'ne':
      return a !== b;
    case 'not':
      return !truthy(a);
    case 'and':
      return args.every(truthy) ? args.at(-1) : args.find((v) => !truthy(v));
    case 'or':
      return args.find(truthy) ?? args.at(-1);
    case 'empty':
      return !truthy(a);
    case 'len':
      return Array.isArray(a) ? a.length : typeof a === 'string' ? a.length : a && typeof a === 'object' ? Object.keys(a).length : 0;
    case 'regexMatch':
      return new RegExp(text(a)).test(text(b));
    case 'lower':
      return text(a).toLowerCase();
    case 'upper':
      return text(a).toUpperCase();
    case 'trim':
      return text(a).trim();
    case 'trunc':
      return Number(a) >= 0 ? text(b).slice(0, Number(a)) : text(b).slice(Number(a));
    case 'trimSuffix':
      return text(b).endsWith(text(a)) ? text(b).slice(0, -text(a).length || undefined) : text(b);
    case 'trimPrefix':
      return text(b).startsWith(text(a)) ? text(b).slice(text(a).length) : text(b);
    case 'replace':
      return text(c).split(text(a)).join(text(b));
    case 'contains':
      return text(b).includes(text(a));
    case 'hasPrefix':
      return text(b).startsWith(text(a));
    case 'hasSuffix':
      return text(b).endsWith(text(a));
    case 'toString':
      return text(a);
    case 'int':
    case 'int64':
      return Math.trunc(Number(a));
    case 'b64enc':
      return Buffer.from(text(a)).toString('base64');
    case 'b64dec':
      return Buffer.from(text(a), 'base64').toString('utf8');
    case 'urlquery':
      // Go's QueryEscape: spaces as +.
      return encodeURIComponent(args.map(text).join(''))
        .replace(/%20/g, '+')
        .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
    case 'dict': {
      // sprig: key/value pairs; a key without a value gets "".
      const out: Record<string, unknown> = {};
      for (let i = 0; i < args.length; i += 2) out[text(args[i])] = i + 1 < args.length ? args[i + 1] : '';
      return out;
    }
    case 'list':
      return [...args];
    case 'get':
      return a && typeof a === 'object' && Object.hasOwn(a, text(b)) ? (a as Record<string, unknown>)[text(b)] : '';
    case 'hasKey':
      return Boolean(a && typeof a === 'object' && Object.hasOwn(a, text(b)));
    case 'index': {
      let value: unknown = a;
      for (const key of args.slice(1)) {
        if (Array.isArray(value) && typeof key === 'number') {
          if (scope.strict && (key < 0 || key >= value.length)) throw new TemplateError(`index out of range: ${key}`);
          value = value[key];
        } else if (value && typeof value === 'object') {
          value = (value as Record<string, unknown>)[text(key)];
        } else {
          if (scope.strict) throw new TemplateError(`can't index item of type ${value === null || value === undefined ? 'nil' : typeof value}`);
          return undefined;
        }
      }
      return value;
    }
    case 'lt':
      return (a as number) < (b as number);
    case 'le':
      return (a as number) <= (b as number);
    case 'gt':
      return (a as number) > (b as number);
    case 'ge':
      return (a as number) >= (b as number);
    case 'include':
    case 'template': {
      const nodes = scope.defines.get(text(a));
      if (!nodes || scope.depth > 20) return PLACEHOLDER;
      return render(nodes, { ...scope, dot: b, vars: new Map(), depth: scope.depth + 1 });
    }
    default:
      if (scope.strict) throw new TemplateError(`function ${JSON.stringify(name)} not defined`);
      return PLACEHOLDER;
  }
}

/** Go's json.Marshal: map keys sorted, and <, >, &, U+2028 and U+2029 escaped (HTML-safe). */
export function goJsonMarshal(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  const escapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
  return JSON.stringify(sorted(value ?? null)).replace(/[<>&\u2028\u2029]/g, (ch) => escapes[ch]!);
}

function formatPrintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([sdvq%])/g, (_, verb: string) => {
    if (verb === '%') return '%';
    const value = args[i++];
    return verb === 'q' ? JSON.stringify(text(value)) : text(value);
  });
}
