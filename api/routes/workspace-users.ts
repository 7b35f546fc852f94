// /v1/workspace/users: whom the caller's workspace may create projects for. Admins only; every
// route acts on the caller's own workspace (the token's), never on one named in the request.
import { Hono } from 'hono';
import { userIdSchema } from '../../lib/workspace-users.js';
import { requireRole } from '../middleware/auth.js';
import { paramInput } from '../validate.js';
import type { WorkspaceUserService } from '../services/workspace-users.js';

export function workspaceUserRoutes({ users }: { users: WorkspaceUserService }) {
  const userId = paramInput('userId', userIdSchema, 'user id');
  return new Hono()
    .use('*', requireRole('admin'))
    .get('/', async (c) => c.json(await users.list(c.get('principal').workspaceId)))
    .put('/:userId', userId, async (c) => {
      const user = await users.add(c.get('principal').workspaceId, c.req.valid('param').userId);
      return c.json(user, user.added ? 201 : 200);
    })
    .delete('/:userId', userId, async (c) => {
      await users.remove(c.get('principal').workspaceId, c.req.valid('param').userId);
      return c.body(null, 204);
    });
}
