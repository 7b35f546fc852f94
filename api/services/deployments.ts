// Deployments: requested (row first, then the lane), listed, read and cancelled, always
// within the caller's workspace. The database row is the truth the API reports.
import type { Db } from '../../lib/db.js';
import type { Logger } from '../../lib/logger.js';
import { deploymentWorkflowId } from '../../workflows/messages.js';
import { ApiError, conflict, notFound } from '../errors.js';
import { deploymentView, page } from '../views.js';
import type { LaneClient } from './lane.js';
import type { ProjectService } from './projects.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'superseded']);

export interface DeployRequest {
  branch?: string;
  commitSha?: string;
  trigger?: 'manual' | 'webhook' | 'retry';
  requestedBy: string;
  targetDeploymentId?: string;
}

export function createDeploymentService({ db, lane, projects, logger }: { db: Db; lane: LaneClient; projects: ProjectService; logger: Logger }) {
  const findScoped = async (workspaceId: string, deploymentId: string) => {
    const deployment = await db.deployment.findFirst({ where: { id: deploymentId, workspaceId }, include: { steps: true } });
    if (!deployment) throw notFound('Deployment');
    return deployment;
  };

  return {
    async request(workspaceId: string, projectId: string, input: DeployRequest) {
      const project = await projects.find(workspaceId, projectId);
      const deployment = await db.deployment.create({
        data: {
          projectId: project.id,
          workspaceId,
          kind: 'deploy',
          trigger: input.trigger ?? 'manual',
          status: 'queued',
          branch: input.branch ?? project.branch,
          commitSha: input.commitSha,
          requestedBy: input.requestedBy,
          targetDeploymentId: input.targetDeploymentId,
        },
      });
      const workflowId = deploymentWorkflowId(deployment.id);
      await db.deployment.update({ where: { id: deployment.id }, data: { workflowId } });
      try {
        await lane.enqueue(project, { deploymentId: deployment.id, kind: 'deploy' });
      } catch (error) {
        // The lane never got it: say so in the row rather than leave it queued forever.
        logger.error('enqueue failed', { deploymentId: deployment.id, error });
        await db.deployment.update({
          where: { id: deployment.id },
          data: { status: 'failed', finishedAt: new Date(), errorStep: 'queue', errorType: 'unavailable', errorMessage: 'The workflow service did not accept the deployment; nothing was deployed' },
        });
        throw new ApiError(503, 'unavailable', 'The workflow service is unavailable: the deployment was not started (recorded as failed)');
      }
      return deploymentView(await findScoped(workspaceId, deployment.id));
    },

    async list(workspaceId: string, projectId: string, { limit, cursor }: { limit: number; cursor?: string }) {
      await projects.find(workspaceId, projectId);
      const rows = await db.deployment.findMany({
        where: { projectId, workspaceId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
        include: { steps: true },
      });
      const result = page(rows, limit);
      return { items: result.items.map(deploymentView), nextCursor: result.nextCursor };
    },

    async get(workspaceId: string, deploymentId: string) {
      return deploymentView(await findScoped(workspaceId, deploymentId));
    },

    async cancel(workspaceId: string, deploymentId: string) {
      const deployment = await findScoped(workspaceId, deploymentId);
      if (FINAL.has(deployment.status)) throw conflict(`Deployment already ${deployment.status}`);
      const result = await lane.cancel(deployment.projectId, deploymentId);
      if (result === 'not-in-lane') {
        // Queued in the database but unknown to the lane: nothing runs, so close it here.
        await db.deployment.updateMany({
          where: { id: deploymentId, status: 'queued' },
          data: { status: 'cancelled', finishedAt: new Date(), errorStep: 'queue', errorType: 'cancelled', errorMessage: 'Cancelled on request before it started' },
        });
      }
      return { ...deploymentView(await findScoped(workspaceId, deploymentId)), cancel: result };
    },
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
