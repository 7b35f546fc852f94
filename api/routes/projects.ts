// /v1/projects: thin handlers (validate, call a service, map the result).
import { Hono, type MiddlewareHandler } from 'hono';
import { requireRole } from '../middleware/auth.js';
import { autoDeploySchema, createDeploymentSchema, createProjectSchema, idParamSchema, listQuerySchema, rollbackSchema } from '../schemas.js';
import { jsonBody, parseOr400 } from '../validate.js';
import type { ProjectService } from '../services/projects.js';
import type { DeploymentService } from '../services/deployments.js';
import type { WebhookService } from '../services/webhooks.js';

export function projectRoutes({ projects, deployments, webhooks, deployLimit, allowLocalRepos }: { projects: ProjectService; deployments: DeploymentService; webhooks: WebhookService; deployLimit: MiddlewareHandler; allowLocalRepos: boolean }) {
  const createSchema = createProjectSchema(allowLocalRepos);
  return new Hono()
    .post('/', requireRole('admin'), async (c) => {
      const body = await jsonBody(c, createSchema);
      return c.json(await projects.create(c.get('principal').workspaceId, body), 201);
    })
    .get('/', async (c) => {
      const query = parseOr400(listQuerySchema, c.req.query(), 'query');
      return c.json(await projects.list(c.get('principal').workspaceId, query));
    })
    .get('/:projectId', async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      return c.json(await projects.get(c.get('principal').workspaceId, projectId));
    })
    .post('/:projectId/deployments', requireRole('deployer'), deployLimit, async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const body = await jsonBody(c, createDeploymentSchema);
      const principal = c.get('principal');
      return c.json(await deployments.request(principal.workspaceId, projectId, { ...body, requestedBy: principal.name }), 202);
    })
    .delete('/:projectId', requireRole('admin'), async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const principal = c.get('principal');
      const undeploy = await projects.remove(principal.workspaceId, projectId, principal.name);
      return c.json(undeploy, 202, { Location: `/v1/projects/${projectId}/undeploy` });
    })
    .get('/:projectId/undeploy', async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      return c.json(await projects.undeployStatus(c.get('principal').workspaceId, projectId));
    })
    .get('/:projectId/deployments', async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const query = parseOr400(listQuerySchema, c.req.query(), 'query');
      return c.json(await deployments.list(c.get('principal').workspaceId, projectId, query));
    })
    .post('/:projectId/rollback', requireRole('deployer'), deployLimit, async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const body = await jsonBody(c, rollbackSchema);
      const principal = c.get('principal');
      return c.json(await deployments.rollback(principal.workspaceId, projectId, { toDeploymentId: body.toDeploymentId, requestedBy: principal.name }), 202);
    })
    .post('/:projectId/auto-deploy', requireRole('deployer'), async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const body = await jsonBody(c, autoDeploySchema);
      return c.json(await projects.setAutoDeploy(c.get('principal').workspaceId, projectId, body.enabled));
    })
    .post('/:projectId/webhook-secret', requireRole('admin'), async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      return c.json(await projects.rotateWebhookSecret(c.get('principal').workspaceId, projectId), 200, { 'Cache-Control': 'no-store' });
    })
    .get('/:projectId/webhook-deliveries', async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const query = parseOr400(listQuerySchema, c.req.query(), 'query');
      await projects.find(c.get('principal').workspaceId, projectId);
      return c.json(await webhooks.list(projectId, query));
    })
    .get('/:projectId/releases', async (c) => {
      const projectId = parseOr400(idParamSchema, c.req.param('projectId'), 'project id');
      const query = parseOr400(listQuerySchema, c.req.query(), 'query');
      return c.json(await projects.releases(c.get('principal').workspaceId, projectId, query));
    });
}
