// Parsing request input with zod: a failure is a 400 that names each field and its rule.
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.js';

export function describeIssues(error: z.ZodError): { field: string; rule: string }[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    rule: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error);
  const summary = issues.map((i) => `${i.field} ${i.rule}`).join('; ');
  throw new ApiError(400, 'invalid_request', `Invalid ${where}: ${summary}`, issues);
}

/** The JSON body, validated. An empty body is read as `{}`; broken JSON is a 400. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let input: unknown = {};
  if (text.trim() !== '') {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/(.+\+)?json\b/i.test(type)) throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json');
    try {
      input = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'invalid_request', 'The body is not valid JSON');
    }
  }
  return parseOr400(schema, input, 'request body');
}
