// /v1/projects/:projectId/repo-credential: write-only (admin). Thin handlers.
import { Hono } from 'hono';
import { requireRole } from '../middleware/auth.js';
import { idParamSchema } from '../schemas.js';
import { repoCredentialSchema } from '../repo-credential-schema.js';
import { jsonBody, parseOr400 } from '../validate.js';
import type { RepoCredentialService } from '../services/repo-credentials.js';

export function repoCredentialRoutes({ credentials }: { credentials: RepoCredentialService }) {
  return new Hono()
    .put('/:projectId/repo-credential', requireRole('admin'), async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const body = await jsonBody(c, repoCredentialSchema);
      return c.json(await credentials.set(c.get('principal').workspaceId, projectId, body), 200, { 'Cache-Control': 'no-store' });
    })
    .delete('/:projectId/repo-credential', requireRole('admin'), async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      await credentials.remove(c.get('principal').workspaceId, projectId);
      return c.body(null, 204);
    });
}
