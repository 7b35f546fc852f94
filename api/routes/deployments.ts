// /v1/deployments/:deploymentId
import { Hono, type MiddlewareHandler } from 'hono';
import { requireRole } from '../middleware/auth.js';
import { idParamSchema } from '../schemas.js';
import { parseOr400 } from '../validate.js';
import type { DeploymentService } from '../services/deployments.js';

export function deploymentRoutes({ deployments, deployLimit }: { deployments: DeploymentService; deployLimit: MiddlewareHandler }) {
  return new Hono()
    .get('/:deploymentId', async (c) => {
      const id = parseOr400(idParamSchema, c.req.param('deploymentId'), 'deployment id');
      return c.json(await deployments.get(c.get('principal').workspaceId, id));
    })
    .post('/:deploymentId/retry', requireRole('deployer'), deployLimit, async (c) => {
      const id = parseOr400(idParamSchema, c.req.param('deploymentId'), 'deployment id');
      const principal = c.get('principal');
      return c.json(await deployments.retry(principal.workspaceId, id, principal.name), 202);
    })
    .post('/:deploymentId/cancel', requireRole('deployer'), async (c) => {
      const id = parseOr400(idParamSchema, c.req.param('deploymentId'), 'deployment id');
      return c.json(await deployments.cancel(c.get('principal').workspaceId, id), 202);
    });
}
