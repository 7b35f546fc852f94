// /v1/tokens: the workspace's API tokens, for admins only. Mounted behind bearerAuth; every
// route acts on the caller's own workspace, so another workspace's token is "not found".
import { Hono } from 'hono';
import { tokenIdSchema } from '../../lib/token-admin.js';
import { createTokenBodySchema } from '../schemas.js';
import { requireRole } from '../middleware/auth.js';
import { jsonInput, paramInput } from '../validate.js';
import type { TokenService } from '../services/tokens.js';

export function tokenRoutes({ tokens }: { tokens: TokenService }) {
  return new Hono()
    .use('*', requireRole('admin'))
    .post('/', jsonInput(createTokenBodySchema), async (c) => {
      const created = await tokens.create(c.get('principal').workspaceId, c.req.valid('json'));
      // The token is in this answer and nowhere else, ever: no cache may keep it.
      return c.json(created, 201, { 'Cache-Control': 'no-store' });
    })
    .get('/', async (c) => c.json(await tokens.list(c.get('principal').workspaceId)))
    .delete('/:tokenId', paramInput('tokenId', tokenIdSchema, 'token id'), async (c) => {
      await tokens.revoke(c.get('principal').workspaceId, c.req.valid('param').tokenId);
      return c.body(null, 204);
    });
}
