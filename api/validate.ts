// Request input, validated with zod by @hono/zod-validator; handlers read `c.req.valid(...)`.
// Every validator shares one hook: a failure is the API's 400 naming each field and its rule,
// `Invalid <where>: <field> <rule>; ...`, with the list in `details`.
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { ApiError } from './errors.js';

/** Each issue as field and rule; the first `depth` path keys are dropped (see paramInput). */
function describeIssues(error: z.core.$ZodError, depth: number): { field: string; rule: string }[] {
  return error.issues.map((issue) => {
    const path = issue.path.slice(depth);
    return {
      field: path.length ? path.join('.') : '(body)',
      rule: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
    };
  });
}

/** The one hook of every validator below: throws the 400 (app.onError shapes it). */
function failWith(where: string, depth = 0) {
  return (result: { success: true } | { success: false; error: z.core.$ZodError }): void => {
    if (result.success) return;
    const issues = describeIssues(result.error, depth);
    const summary = issues.map((i) => `${i.field} ${i.rule}`).join('; ');
    throw new ApiError(400, 'invalid_request', `Invalid ${where}: ${summary}`, issues);
  };
}

/**
 * One path parameter. It is checked as a value of its own, so a failure names no field
 * (`Invalid project id: (body) must be an id (UUID)`), as the API has always answered.
 */
export function paramInput<K extends string, S extends z.ZodType>(name: K, schema: S, where: string) {
  return zValidator('param', z.object({ [name]: schema } as { [P in K]: S }), failWith(where, 1));
}

/** A repeated query parameter counts by its first value (what `c.req.query()` gives), not as a list. */
const firstValues = (query: unknown) =>
  Object.fromEntries(Object.entries(query as Record<string, string | string[]>).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]));

export function queryInput<S extends z.ZodType>(schema: S) {
  // Typed by its output alone: zValidator's types cannot see through a preprocess of a generic schema.
  const firstOfEach: z.ZodType<z.output<S>> = z.preprocess(firstValues, schema);
  return zValidator('query', firstOfEach, failWith('query'));
}

// JSON bodies by the API's own rules: an empty body is `{}` whatever its type, a body of another
// type is a 415, and broken JSON is named as such. zValidator's json target reads the body only
// under the media types below (anything else is silently `{}`), and calls an empty one malformed.
const JSON_TYPE = /^application\/(.+\+)?json\b/i;
/** The media types zValidator reads as JSON (hono/validator's rule). */
const READ_AS_JSON = /^application\/([\w.-]+\+)?json$/i;

/** The JSON body, validated. */
export function jsonInput<S extends z.ZodType>(schema: S) {
  const fail = failWith('request body');
  const validate = zValidator('json', schema, fail);
  const middleware: typeof validate = async (c, next) => {
    const text = await c.req.text();
    const type = c.req.header('content-type') ?? '';
    const readAsJson = READ_AS_JSON.test(type.split(';')[0]!.trim());
    let input: unknown = {};
    if (text.trim() !== '') {
      if (!JSON_TYPE.test(type)) throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json');
      try {
        input = JSON.parse(text);
      } catch {
        throw new ApiError(400, 'invalid_request', 'The body is not valid JSON');
      }
      // zValidator reads the same body again (Hono keeps it) and gets the same value.
      if (readAsJson) return validate(c, next);
    } else if (!readAsJson) {
      // No JSON type: zValidator reads nothing and checks `{}`, as the API does.
      return validate(c, next);
    }
    // An empty body under a JSON type, or a JSON type zValidator skips (application/json-seq,
    // say): zValidator would answer otherwise, so the same schema and hook check `input` here.
    const parsed = await schema.safeParseAsync(input);
    fail(parsed);
    c.req.addValidatedData('json', parsed.data as object);
    return next();
  };
  return middleware;
}
