// A small subset of Go templates, enough to render the charts the engine writes when no helm
// binary is available: `{{ .Values.a.b }}`, `.Release.*`, `.Chart.*`, pipes to quote/default,
// if/else/with/range/end, comments and whitespace trimming (`{{-`, `-}}`). Anything it does not
// understand renders as a placeholder, so the output stays YAML a parser can check.

export interface TemplateContext {
  Values: unknown;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion?: string };
}

export const PLACEHOLDER = 'sim-unrendered';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type Frame = { kind: 'if' | 'with' | 'range' | 'define'; active: boolean; taken: boolean; parentActive: boolean };

const ACTION = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;

export function renderTemplate(source: string, ctx: TemplateContext, file = 'template'): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  let last = 0;
  let trimNext = false;
  const active = () => stack.every((f) => f.active);

  for (const match of source.matchAll(ACTION)) {
    let text = source.slice(last, match.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (match[1]) text = text.replace(/\s+$/, '');
    if (active()) out.push(text);
    last = match.index + match[0].length;
    trimNext = Boolean(match[3]);
    const body = (match[2] ?? '').trim();
    if (body.startsWith('/*')) continue;

    const [keyword = '', ...rest] = body.split(/\s+/);
    const args = rest.join(' ');
    switch (keyword) {
      case 'if':
      case 'with':
      case 'range': {
        const parentActive = active();
        const truth = keyword === 'range' ? true : evaluateCondition(args, ctx);
        stack.push({ kind: keyword, active: parentActive && truth, taken: truth, parentActive });
        break;
      }
      case 'define':
      case 'block':
        stack.push({ kind: 'define', active: false, taken: true, parentActive: active() });
        break;
      case 'else': {
        const frame = stack.at(-1);
        if (!frame || frame.kind === 'define') throw new TemplateError(`${file}: unexpected {{else}}`);
        const elseIf = /^if\s+(.+)$/.exec(args);
        const truth = !frame.taken && (elseIf ? evaluateCondition(elseIf[1] ?? '', ctx) : true);
        frame.active = frame.parentActive && truth;
        frame.taken ||= truth;
        break;
      }
      case 'end':
        if (!stack.pop()) throw new TemplateError(`${file}: unexpected {{end}}`);
        break;
      default:
        if (active()) out.push(evaluateOutput(body, ctx));
    }
  }
  if (stack.length > 0) throw new TemplateError(`${file}: unexpected EOF (unclosed {{${stack.at(-1)?.kind}}})`);
  let tail = source.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  if (/\{\{|\}\}/.test(tail) || out.some((part) => part.includes('{{'))) throw new TemplateError(`${file}: unclosed action`);
  out.push(tail);
  return out.join('');
}

function lookup(expr: string, ctx: TemplateContext): { found: boolean; value: unknown } {
  const path = /^\$?\.([A-Za-z_][\w.]*)$/.exec(expr.trim());
  if (!path) return { found: false, value: undefined };
  let value: unknown = ctx;
  for (const key of (path[1] ?? '').split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) return { found: true, value: undefined };
    value = (value as Record<string, unknown>)[key];
  }
  return { found: true, value };
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

function evaluateCondition(expr: string, ctx: TemplateContext): boolean {
  const trimmed = expr.trim().replace(/^\((.*)\)$/, '$1');
  const negated = /^not\s+(.+)$/.exec(trimmed);
  if (negated) return !evaluateCondition(negated[1] ?? '', ctx);
  const { found, value } = lookup(trimmed, ctx);
  return found ? truthy(value) : true;
}

function evaluateOutput(body: string, ctx: TemplateContext): string {
  const [head = '', ...pipes] = body.split('|').map((p) => p.trim());
  let { found, value } = lookup(head, ctx);
  if (!found) return PLACEHOLDER;
  for (const pipe of pipes) {
    const [fn = '', ...fnArgs] = pipe.split(/\s+/);
    if (fn === 'default' && !truthy(value)) value = parseLiteral(fnArgs.join(' '));
    else if (fn === 'quote') value = JSON.stringify(scalar(value));
    else if (fn === 'squote') value = `'${scalar(value)}'`;
    else if (fn === 'toString') value = scalar(value);
    else if (fn === 'lower' || fn === 'upper') value = fn === 'lower' ? scalar(value).toLowerCase() : scalar(value).toUpperCase();
    else if (fn === 'trunc' || fn === 'trimSuffix' || fn === 'trimPrefix' || fn === 'int') continue;
    else return PLACEHOLDER;
  }
  found = value !== undefined && value !== null && typeof value !== 'object';
  return found ? scalar(value) : value === undefined || value === null ? '' : PLACEHOLDER;
}

function scalar(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return PLACEHOLDER;
}

function parseLiteral(text: string): unknown {
  const trimmed = text.trim();
  if (/^".*"$/.test(trimmed)) return trimmed.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return PLACEHOLDER;
}
