// Records every API request (method, path, masked body, status, time) for tests: "the
// simulator's record of calls". Secrets never enter the record.
import type { MiddlewareHandler } from 'hono';
import { isGitPath, type GitHubEnv } from './auth.js';
import { MASKED } from './render.js';
import type { RecordedCall } from './types.js';

const SECRET_KEY = /secret|token|password|authorization/i;

/** A deep copy of a JSON value with the values of secret-looking keys replaced by `********`. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null && v !== '' ? MASKED : maskSecrets(v)]));
  }
  return value;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return maskSecrets(JSON.parse(text));
  } catch {
    return '<unparseable body>';
  }
}

export function callLogMiddleware(calls: RecordedCall[], controlPrefix = '/_sim'): MiddlewareHandler<GitHubEnv> {
  return async function recordCalls(c, next) {
    // Git's smart HTTP is not the API: its requests are counted (counters), not recorded here.
    if (c.req.path.startsWith(controlPrefix) || isGitPath(c.req.path)) return next();
    const time = new Date().toISOString();
    const url = new URL(c.req.url);
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    // Hono caches the body, so handlers can still read it.
    const body = hasBody ? parseBody(await c.req.text()) : undefined;
    await next();
    calls.push({
      method: c.req.method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      body,
      status: c.res.status,
      time,
      requestId: c.get('requestId') ?? '',
      user: c.get('user')?.login,
    });
  };
}
