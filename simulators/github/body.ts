// Request bodies as GitHub reads them: JSON whatever the content type; unparseable JSON is a
// 400 "Problems parsing JSON"; schema violations are a 422 "Invalid request." naming the field.
import type { Context } from 'hono';
import type { z } from 'zod';
import { githubError } from './errors.js';

export type BodyResult<T> = { ok: true; data: T } | { ok: false; response: Response };

export async function readBody<S extends z.ZodType>(c: Context, schema: S, documentationUrl: string): Promise<BodyResult<z.infer<S>>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      return { ok: false, response: githubError(c, 400, 'Problems parsing JSON', documentationUrl) };
    }
  }
  if (raw === null) raw = {};
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return { ok: true, data: parsed.data };
  return { ok: false, response: githubError(c, 422, `Invalid request.\n\n${describeIssue(parsed.error.issues[0])}`, documentationUrl) };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'Invalid input.';
  const last = issue.path.at(-1);
  const name = typeof last === 'symbol' ? '' : String(last ?? '');
  if (issue.code === 'invalid_type' && issue.input === undefined && name) return `"${name}" wasn't supplied.`;
  const where = issue.path.length > 0 ? `For 'properties/${issue.path.map(String).join('/')}', ` : '';
  const value = JSON.stringify(issue.input) ?? 'undefined';
  if (issue.code === 'invalid_type') return `${where}${value} is not ${article(issue.expected)}.`;
  if (issue.code === 'invalid_value') return `${where}${value} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
  return `${where}${issue.message}.`;
}

function article(type: string): string {
  const name = type === 'number' ? 'number' : type;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}
