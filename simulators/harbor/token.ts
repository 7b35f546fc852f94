// Harbor's token service (`GET /service/token`): Basic credentials in, a JWT out carrying the
// `access` the user holds for the requested scopes (docker token auth spec). Registry requests
// then present `Authorization: Bearer <jwt>`; a missing or too narrow token gets the
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import type { Action, UserDirectory } from './auth.js';

export const TOKEN_SERVICE = 'harbor-registry';
const ISSUER = 'harbor-token-issuer';
export const TOKEN_TTL_SECONDS = 1800;

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: AccessEntry[];
}

export class TokenIssuer {
  private readonly key: Buffer;

  /** The signing key is kept in `dataDir` when given, so tokens survive a restart. */
  constructor(dataDir?: string) {
    if (!dataDir) {
      this.key = randomBytes(32);
      return;
    }
    const file = path.join(dataDir, 'token.key');
    if (existsSync(file)) this.key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    else {
      mkdirSync(dataDir, { recursive: true });
      this.key = randomBytes(32);
      writeFileSync(file, this.key.toString('hex'), { mode: 0o600 });
    }
  }

  issue(subject: string, access: AccessEntry[], now = new Date()): { token: string; claims: TokenClaims } {
    const iat = Math.floor(now.getTime() / 1000);
    const claims: TokenClaims = { iss: ISSUER, sub: subject, aud: TOKEN_SERVICE, exp: iat + TOKEN_TTL_SECONDS, nbf: iat - 10, iat, jti: randomUUID(), access };
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(JSON.stringify(claims));
    return { token: `${header}.${payload}.${this.sign(`${header}.${payload}`)}`, claims };
  }

  /** The claims of a valid, unexpired token issued by this simulator; null otherwise. */
  verify(token: string, now = new Date()): TokenClaims | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
      const seconds = now.getTime() / 1000;
      if (claims.aud !== TOKEN_SERVICE || claims.exp < seconds || claims.nbf > seconds) return null;
      return claims;
    } catch {
      return null;
    }
  }

  private sign(input: string): string {
    return createHmac('sha256', this.key).update(input).digest('base64url');
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Parses `repository:apps/x:pull,push` (the name may itself contain `:` only in registry:catalog:*). */
export function parseScope(scope: string): AccessEntry | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return null;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter((a) => a.length > 0),
  };
}

export function tokenAllows(claims: TokenClaims, repository: string, action: Action): boolean {
  return claims.access.some(
    (entry) => entry.type === 'repository' && entry.name === repository && (entry.actions.includes(action) || entry.actions.includes('*')),
  );
}

export interface TokenRoutesOptions {
  issuer: TokenIssuer;
  users: UserDirectory;
}

/** `GET /service/token?service=harbor-registry&scope=repository:<name>:pull,push` (scope may repeat). */
export function createTokenRoutes({ issuer, users }: TokenRoutesOptions): Hono {
  const app = new Hono();
  app.get('/token', (c) => {
    const authorization = c.req.header('authorization');
    const user = users.verifyBasic(authorization);
    if (authorization && !user) {
      return c.json({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication failed: invalid username or password' }] }, 401);
    }
    const access: AccessEntry[] = [];
    for (const scope of c.req.queries('scope') ?? []) {
      for (const single of scope.split(' ')) {
        const entry = parseScope(single);
        if (!entry) continue;
        if (entry.type === 'repository') access.push({ ...entry, actions: users.grant(user, entry.name, entry.actions) });
        else if (entry.type === 'registry' && entry.name === 'catalog' && user && !user.startsWith('robot$')) access.push(entry);
        else access.push({ ...entry, actions: [] });
      }
    }
    const { token, claims } = issuer.issue(user ?? '', access);
    return c.json({ token, access_token: token, expires_in: TOKEN_TTL_SECONDS, issued_at: new Date(claims.iat * 1000).toISOString() });
  });
  return app;
}
