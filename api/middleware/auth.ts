// Bearer-token authentication: every request is bound to exactly one workspace and a role.
import { createMiddleware } from 'hono/factory';
import type { Db } from '../../lib/db.js';
import { hashToken } from '../../lib/tokens.js';
import { ApiError } from '../errors.js';

export type Role = 'viewer' | 'deployer' | 'admin';
export interface Principal {
  tokenId: string;
  workspaceId: string;
  role: Role;
  name: string;
}

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
  }
}

const rank: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2 };
const LAST_USED_RESOLUTION_MS = 60_000;

/** A token authenticates only while it is neither revoked nor expired. */
export function isTokenUsable(token: { revokedAt: Date | null; expiresAt: Date | null } | null, now = new Date()): boolean {
  return !!token && !token.revokedAt && !(token.expiresAt && token.expiresAt <= now);
}

/** The principal of an `Authorization: Bearer <token>` header, or a 401. */
export async function principalFromBearer(db: Db, header: string | undefined): Promise<Principal> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) throw new ApiError(401, 'unauthorized', 'Missing bearer token: send Authorization: Bearer <token>');
  const token = await db.apiToken.findUnique({ where: { tokenHash: hashToken(match[1]!) } });
  const now = new Date();
  if (!token || !isTokenUsable(token, now)) {
    throw new ApiError(401, 'unauthorized', 'Invalid, expired or revoked token');
  }
  // Record use at most once a minute per token: no write on every request.
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } });
  }
  return { tokenId: token.id, workspaceId: token.workspaceId, role: token.role, name: token.name };
}

export function bearerAuth(db: Db) {
  return createMiddleware(async function authenticate(c, next) {
    c.set('principal', await principalFromBearer(db, c.req.header('authorization')));
    await next();
  });
}

/** Route guard: the token's role must be at least `role`. */
export function requireRole(role: Role) {
  return createMiddleware(async function checkRole(c, next) {
    if (rank[c.get('principal').role] < rank[role]) {
      throw new ApiError(403, 'forbidden', `This action needs the ${role} role`);
    }
    await next();
  });
}
