// /v1/projects: thin handlers (validate, call a service, map the result).
import { Hono, type MiddlewareHandler } from 'hono';
import { requireRole } from '../middleware/auth.js';
import { autoDeploySchema, createDeploymentSchema, createProjectSchema, idParamSchema, listQuerySchema, rollbackSchema } from '../schemas.js';
import { jsonInput, paramInput, queryInput } from '../validate.js';
import type { ProjectService } from '../services/projects.js';
import type { DeploymentService } from '../services/deployments.js';
import type { WebhookService } from '../services/webhooks.js';

export function projectRoutes({
  projects,
  deployments,
  webhooks,
  deployLimit,
  allowLocalRepos,
}: {
  projects: ProjectService;
  deployments: DeploymentService;
  webhooks: WebhookService;
  deployLimit: MiddlewareHandler;
  allowLocalRepos: boolean;
}) {
  const projectId = paramInput('projectId', idParamSchema, 'project id');
  const listQuery = queryInput(listQuerySchema);
  return new Hono()
    .post('/', requireRole('admin'), jsonInput(createProjectSchema(allowLocalRepos)), async (c) => {
      return c.json(await projects.create(c.get('principal').workspaceId, c.req.valid('json')), 201);
    })
    .get('/', listQuery, async (c) => {
      return c.json(await projects.list(c.get('principal').workspaceId, c.req.valid('query')));
    })
    .get('/:projectId', projectId, async (c) => {
      return c.json(await projects.get(c.get('principal').workspaceId, c.req.valid('param').projectId));
    })
    .post('/:projectId/deployments', requireRole('deployer'), deployLimit, projectId, jsonInput(createDeploymentSchema), async (c) => {
      const principal = c.get('principal');
      return c.json(
        await deployments.request(principal.workspaceId, c.req.valid('param').projectId, { ...c.req.valid('json'), requestedBy: principal.name }),
        202,
      );
    })
    .delete('/:projectId', requireRole('admin'), projectId, async (c) => {
      const { projectId } = c.req.valid('param');
      const principal = c.get('principal');
      const undeploy = await projects.remove(principal.workspaceId, projectId, principal.name);
      return c.json(undeploy, 202, { Location: `/v1/projects/${projectId}/undeploy` });
    })
    .get('/:projectId/undeploy', projectId, async (c) => {
      return c.json(await projects.undeployStatus(c.get('principal').workspaceId, c.req.valid('param').projectId));
    })
    .get('/:projectId/deployments', projectId, listQuery, async (c) => {
      return c.json(await deployments.list(c.get('principal').workspaceId, c.req.valid('param').projectId, c.req.valid('query')));
    })
    .post('/:projectId/rollback', requireRole('deployer'), deployLimit, projectId, jsonInput(rollbackSchema), async (c) => {
      const principal = c.get('principal');
      return c.json(
        await deployments.rollback(principal.workspaceId, c.req.valid('param').projectId, {
          toDeploymentId: c.req.valid('json').toDeploymentId,
          requestedBy: principal.name,
        }),
        202,
      );
    })
    .post('/:projectId/auto-deploy', requireRole('deployer'), projectId, jsonInput(autoDeploySchema), async (c) => {
      return c.json(await projects.setAutoDeploy(c.get('principal').workspaceId, c.req.valid('param').projectId, c.req.valid('json').enabled));
    })
    .post('/:projectId/webhook-secret', requireRole('admin'), projectId, async (c) => {
      return c.json(await projects.rotateWebhookSecret(c.get('principal').workspaceId, c.req.valid('param').projectId), 200, { 'Cache-Control': 'no-store' });
    })
    .get('/:projectId/webhook-deliveries', projectId, listQuery, async (c) => {
      const { projectId } = c.req.valid('param');
      await projects.find(c.get('principal').workspaceId, projectId);
      return c.json(await webhooks.list(projectId, c.req.valid('query')));
    })
    .get('/:projectId/releases', projectId, listQuery, async (c) => {
      return c.json(await projects.releases(c.get('principal').workspaceId, c.req.valid('param').projectId, c.req.valid('query')));
    });
}
