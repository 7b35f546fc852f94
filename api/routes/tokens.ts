// /v1/tokens: the workspace's API tokens, for admins only. Mounted behind bearerAuth; every
// route acts on the caller's own workspace, so another workspace's token is "not found".
import { Hono } from 'hono';
import type { Db } from '../../lib/db.js';
import { createApiToken, listApiTokens, revokeApiToken, tokenIdSchema } from '../../lib/token-admin.js';
import { createTokenBodySchema } from '../schemas.js';
import { mapErrors } from '../errors.js';
import { requireRole } from '../middleware/auth.js';
import { jsonBody, parseOr400 } from '../validate.js';


export function tokenRoutes({ db }: { db: Db }) {
  return new Hono()
    .use('*', requireRole('admin'))
    .post('/', async (c) => {
      const body = await jsonBody(c, createTokenBodySchema);
      const { workspaceId } = c.get('principal');
      const created = await mapErrors(() => createApiToken(db, { workspaceId, name: body.name, role: body.role, expiresAt: body.expiresAt ?? undefined }));
      // The token is in this answer and nowhere else, ever: no cache may keep it.
      return c.json(created, 201, { 'Cache-Control': 'no-store' });
    })
    .get('/', async (c) => {
      const items = await mapErrors(() => listApiTokens(db, c.get('principal').workspaceId));
      return c.json({ items });
    })
    .delete('/:tokenId', async (c) => {
      const tokenId = parseOr400(tokenIdSchema, c.req.param('tokenId'), 'token id');
      await mapErrors(() => revokeApiToken(db, c.get('principal').workspaceId, tokenId));
      return c.body(null, 204);
    });
}
