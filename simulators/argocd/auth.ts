// Argo CD sessions: `POST /api/v1/session {username,password}` issues a JWT (HS256, issuer
// `argocd`, subject the username); API calls carry it as `Authorization: Bearer`. Pre-issued
// tokens (like project or account tokens) are accepted as they are.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { grpcError } from './errors.js';

export interface SessionOptions {
  users: Array<{ username: string; password: string }>;
  tokens?: string[];
}

export class SessionIssuer {
  private readonly secret = randomBytes(32);
  private readonly users: Map<string, string>;
  private readonly staticTokens: Set<string>;

  constructor({ users, tokens = [] }: SessionOptions) {
    this.users = new Map(users.map((u) => [u.username, u.password]));
    this.staticTokens = new Set(tokens);
  }

  /** A session token for valid credentials, or undefined. */
  login(username: string, password: string): string | undefined {
    const expected = this.users.get(username);
    if (expected === undefined || !sameText(expected, password)) return undefined;
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ iss: 'argocd', sub: `${username}:login`, nbf: now, iat: now, jti: randomUUID() }));
    return `${header}.${payload}.${this.sign(`${header}.${payload}`)}`;
  }

  /** The user a token belongs to, or the problem with it. */
  verify(token: string): { user: string } | { problem: string } {
    if (this.staticTokens.has(token)) return { user: 'admin' };
    const parts = token.split('.');
    if (parts.length !== 3) return { problem: 'invalid session: token contains an invalid number of segments' };
    const [header, payload, signature] = parts as [string, string, string];
    if (!sameText(this.sign(`${header}.${payload}`), signature)) return { problem: 'invalid session: token signature is invalid' };
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: unknown };
      return { user: typeof claims.sub === 'string' ? claims.sub.replace(/:login$/, '') : 'admin' };
    } catch {
      return { problem: 'invalid session: token is malformed' };
    }
  }

  private sign(input: string): string {
    return createHmac('sha256', this.secret).update(input).digest('base64url');
  }
}

export type SessionEnv = { Variables: { argocdUser: string } };

/** The token of a request: `Authorization: Bearer`, or the `argocd.token` cookie the UI uses. */
export function requestToken(authorization: string | undefined, cookie: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  return bearer ?? /(?:^|;\s*)argocd\.token=([^;]+)/.exec(cookie ?? '')?.[1];
}

/** Requires a valid bearer token on every request it guards (401 `no session information` without). */
export function requireSession(sessions: SessionIssuer, exempt: (method: string, path: string) => boolean = () => false): MiddlewareHandler<SessionEnv> {
  return async function argoCdSession(c, next) {
    if (exempt(c.req.method, c.req.path)) return next();
    const token = requestToken(c.req.header('authorization'), c.req.header('cookie'));
    if (!token) return grpcError(c, 'Unauthenticated', 'no session information');
    const verdict = sessions.verify(token);
    if ('problem' in verdict) return grpcError(c, 'Unauthenticated', verdict.problem);
    c.set('argocdUser', verdict.user);
    return next();
  };
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
