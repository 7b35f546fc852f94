// /v1/projects/:projectId/repo-credential: write-only (admin). Thin handlers.
import { Hono } from 'hono';
import { requireRole } from '../middleware/auth.js';
import { idParamSchema } from '../schemas.js';
import { repoCredentialSchema } from '../repo-credential-schema.js';
import { jsonInput, paramInput } from '../validate.js';
import type { RepoCredentialService } from '../services/repo-credentials.js';

export function repoCredentialRoutes({ credentials }: { credentials: RepoCredentialService }) {
  const projectId = paramInput('projectId', idParamSchema, 'project id');
  return new Hono()
    .put('/:projectId/repo-credential', requireRole('admin'), projectId, jsonInput(repoCredentialSchema), async (c) => {
      return c.json(await credentials.set(c.get('principal').workspaceId, c.req.valid('param').projectId, c.req.valid('json')), 200, {
        'Cache-Control': 'no-store',
      });
    })
    .delete('/:projectId/repo-credential', requireRole('admin'), projectId, async (c) => {
      await credentials.remove(c.get('principal').workspaceId, c.req.valid('param').projectId);
      return c.body(null, 204);
    });
}
