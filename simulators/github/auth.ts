// The headers every GitHub API answer carries, token authentication (`token <t>` or
// `Bearer <t>`; 401 "Requires authentication" / "Bad credentials"), GitHub App JWTs on the
// app routes, and the rate limit. Git over smart HTTP authenticates on its own (git-http.ts).
import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { SimApp } from './apps.js';
import type { Credentials, Principal } from './credentials.js';
import { DOCS, errorBody } from './errors.js';
import type { RateLimiter, RateLimitState } from './rate-limit.js';
import type { SimUser } from './types.js';

/** `principal` is set for tokens, `app` for app JWTs; `user` always (the app's bot for a JWT). */
export type GitHubEnv = { Variables: { user: SimUser; requestId: string; principal: Principal | undefined; app: SimApp | undefined } };

/** `/<owner>/<repo>.git/...`: git's smart HTTP, not the REST API. */
export const isGitPath = (path: string): boolean => /^\/[^/]+\/[^/]+\.git(?:\/|$)/.test(path);

/** The routes GitHub authenticates with the app's JWT instead of a token. */
const isAppJwtPath = (path: string): boolean => /^\/app(?:\/|$)/.test(path) || /^\/repos\/[^/]+\/[^/]+\/installation$/.test(path);

export const API_VERSIONS = ['2022-11-28'] as const;
const JSON_TYPE = 'application/json; charset=utf-8';

/** Like `5498:3F219F:18172B2:275A386:66084DC8`. */
function requestId(): string {
  const hex = (n: number) =>
    randomBytes(n)
      .toString('hex')
      .toUpperCase()
      .replace(/^0+(?=.)/, '');
  return [
    hex(2),
    hex(3),
    hex(4),
    hex(4),
    Math.floor(Date.now() / 1000)
      .toString(16)
      .toUpperCase(),
  ].join(':');
}

function rateHeaders(state: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(state.reset),
    'x-ratelimit-used': String(state.used),
    'x-ratelimit-resource': 'core',
  };
}

export function githubApiMiddleware(credentials: Credentials, limiter: RateLimiter, controlPrefix = '/_sim'): MiddlewareHandler<GitHubEnv> {
  return async function githubApi(c, next) {
    if (c.req.path.startsWith(controlPrefix) || isGitPath(c.req.path)) return next();
    const id = requestId();
    c.set('requestId', id);
    const common = {
      'x-github-request-id': id,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': API_VERSIONS[0] as string,
      server: 'github.com',
      'access-control-allow-origin': '*',
      'access-control-expose-headers':
        'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset',
    };
    const refuse = (status: 400 | 401 | 403 | 429, message: string, docs: string, headers: Record<string, string>) =>
      c.json(errorBody(status, message, docs), status, { ...common, ...headers, 'content-type': JSON_TYPE });

    const version = c.req.header('x-github-api-version');
    if (version !== undefined && !(API_VERSIONS as readonly string[]).includes(version)) {
      return refuse(400, `Unsupported 'X-GitHub-Api-Version' header. Supported versions are: ${API_VERSIONS.join(', ')}.`, DOCS.root, {});
    }
    if (version) common['x-github-api-version-selected'] = version;

    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    if (!match) return refuse(401, 'Requires authentication', DOCS.root, rateHeaders(limiter.anonymous()));
    const token = match[1] ?? '';
    let user: SimUser;
    let limitKey = token;
    if (isAppJwtPath(c.req.path)) {
      const jwt = credentials.apps.verifyJwt(token);
      if (!jwt.ok) return refuse(401, jwt.message, DOCS.root, rateHeaders(limiter.anonymous()));
      c.set('app', jwt.app);
      user = jwt.app.bot;
      limitKey = `app:${jwt.app.id}`;
    } else {
      const principal = credentials.resolve(token);
      if (!principal) return refuse(401, 'Bad credentials', DOCS.root, rateHeaders(limiter.anonymous()));
      c.set('principal', principal);
      user = principal.user;
    }

    const verdict = limiter.take(limitKey);
    const headers = { ...rateHeaders(verdict), 'x-oauth-scopes': 'admin:repo_hook, repo, repo_deployment', 'x-accepted-oauth-scopes': '' };
    if (verdict.refused?.kind === 'secondary') {
      const message = `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`;
      return refuse(verdict.refused.status, message, DOCS.secondaryRateLimit, { ...headers, 'retry-after': String(verdict.refused.retryAfterSeconds ?? 60) });
    }
    if (verdict.refused) {
      const message = `API rate limit exceeded for user ID ${user.id}. If you reach out to GitHub Support for help, please include the request ID ${id} and timestamp ${new Date()
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, ' UTC')}.`;
      return refuse(verdict.refused.status, message, DOCS.rateLimit, headers);
    }
    c.set('user', user);
    await next();
    for (const [name, value] of Object.entries({ ...common, ...headers })) c.res.headers.set(name, value);
    if (c.res.headers.get('content-type')?.startsWith('application/json')) c.res.headers.set('content-type', JSON_TYPE);
  };
}
