// /v1/deployments/:deploymentId
import { Hono, type MiddlewareHandler } from 'hono';
import { requireRole } from '../middleware/auth.js';
import { idParamSchema } from '../schemas.js';
import { paramInput } from '../validate.js';
import type { DeploymentService } from '../services/deployments.js';

export function deploymentRoutes({ deployments, deployLimit }: { deployments: DeploymentService; deployLimit: MiddlewareHandler }) {
  const deploymentId = paramInput('deploymentId', idParamSchema, 'deployment id');
  return new Hono()
    .get('/:deploymentId', deploymentId, async (c) => {
      return c.json(await deployments.get(c.get('principal').workspaceId, c.req.valid('param').deploymentId));
    })
    .post('/:deploymentId/retry', requireRole('deployer'), deployLimit, deploymentId, async (c) => {
      const principal = c.get('principal');
      return c.json(await deployments.retry(principal.workspaceId, c.req.valid('param').deploymentId, principal.name), 202);
    })
    .post('/:deploymentId/cancel', requireRole('deployer'), deploymentId, async (c) => {
      return c.json(await deployments.cancel(c.get('principal').workspaceId, c.req.valid('param').deploymentId), 202);
    });
}
