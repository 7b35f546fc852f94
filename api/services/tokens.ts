// The workspace's API tokens (lib/token-admin.ts), with the library's errors mapped onto the
// API's one error shape. Every call acts on the caller's workspace only.
import type { z } from 'zod';
import type { Db } from '../../lib/db.js';
import { createApiToken, listApiTokens, revokeApiToken } from '../../lib/token-admin.js';
import { mapErrors } from '../errors.js';
import type { createTokenBodySchema } from '../schemas.js';

export function createTokenService(db: Db) {
  return {
    async create(workspaceId: string, body: z.output<typeof createTokenBodySchema>) {
      return mapErrors(() => createApiToken(db, { workspaceId, name: body.name, role: body.role, expiresAt: body.expiresAt ?? undefined }));
    },
    async list(workspaceId: string) {
      return { items: await mapErrors(() => listApiTokens(db, workspaceId)) };
    },
    async revoke(workspaceId: string, tokenId: string) {
      await mapErrors(() => revokeApiToken(db, workspaceId, tokenId));
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
