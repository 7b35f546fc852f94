// Deployments: requested (row first, then the lane), listed, read and cancelled, always
// within the caller's workspace. The database row is the truth the API reports.
import { randomUUID } from 'node:crypto';
import { lockForTransaction, type Db } from '../../lib/db.js';
import { FINAL_STATUSES } from '../../lib/events.js';
import type { Logger } from '../../lib/logger.js';
import { deploymentWorkflowId } from '../../lib/workflow-ids.js';
import { ApiError, conflict, notFound } from '../errors.js';
import type { Deployment, Prisma } from '../../generated/prisma/client.js';
import { pauseAutoDeploy, rollbackRow } from '../../lib/deployment-rows.js';
import { deploymentView } from '../views.js';
import { paginate, type PageQuery } from './paginate.js';
import type { LaneClient } from './lane.js';
import type { ProjectService } from './projects.js';

export interface DeployRequest {
  branch?: string;
  commitSha?: string;
  trigger?: 'manual' | 'webhook' | 'retry';
  requestedBy: string;
  targetDeploymentId?: string;
}

export interface QueueCaps {
  perProject: number;
  perWorkspace: number;
}

/** Seconds a caller over a queue cap is told to wait: about one short deploy. */
const QUEUE_FULL_RETRY_AFTER_S = 30;

export function createDeploymentService({
  db,
  lane,
  projects,
  logger,
  caps,
}: {
  db: Db;
  lane: LaneClient;
  projects: ProjectService;
  logger: Logger;
  caps: QueueCaps;
}) {
  const findScoped = async (workspaceId: string, deploymentId: string) => {
    const deployment = await db.deployment.findFirst({ where: { id: deploymentId, workspaceId }, include: { steps: true } });
    if (!deployment) throw notFound('Deployment');
    return deployment;
  };

  /** Creates the row, then hands it to the project's lane; the row says so if the lane never got it. */
  const enqueueNew = async (
    project: { id: string; workspaceId: string },
    data: Prisma.DeploymentUncheckedCreateInput,
    kind: 'deploy' | 'rollback' = 'deploy',
  ) => {
    const id = randomUUID();
    // Counting and inserting under one lock per workspace, so parallel requests cannot overshoot.
    const deployment = await db.$transaction(async (tx) => {
      await lockForTransaction(tx, `queue:${project.workspaceId}`);
      // One query for both counts: this runs under the lock, so every round trip counts.
      const [counts] = await tx.$queryRaw<{ inProject: number; inWorkspace: number }[]>`
        SELECT (count(*) FILTER (WHERE "projectId" = ${project.id}))::int AS "inProject", count(*)::int AS "inWorkspace"
        FROM "Deployment" WHERE "workspaceId" = ${project.workspaceId} AND status = 'queued'`;
      const { inProject, inWorkspace } = counts!;
      if (inProject >= caps.perProject || inWorkspace >= caps.perWorkspace) {
        const [scope, cap] = inProject >= caps.perProject ? ['project', caps.perProject] : ['workspace', caps.perWorkspace];
        throw new ApiError(
          429,
          'queue_full',
          `The ${scope} already has ${cap} deployments waiting to start (the limit): retry when some have started`,
          undefined,
          { 'Retry-After': String(QUEUE_FULL_RETRY_AFTER_S) },
        );
      }
      return tx.deployment.create({ data: { ...data, id, status: 'queued', workflowId: deploymentWorkflowId(id) } });
    });
    try {
      await lane.enqueue(project, { deploymentId: deployment.id, kind });
    } catch (error) {
      logger.error('enqueue failed', { deploymentId: deployment.id, error });
      await db.deployment.update({
        where: { id: deployment.id },
        data: {
          status: 'failed',
          finishedAt: new Date(),
          errorStep: 'queue',
          errorType: 'unavailable',
          errorMessage: 'The workflow service did not accept the deployment; nothing was deployed',
        },
      });
      throw new ApiError(503, 'unavailable', 'The workflow service is unavailable: the deployment was not started (recorded as failed)');
    }
    return deploymentView(await findScoped(project.workspaceId, deployment.id));
  };

  return {
    async request(workspaceId: string, projectId: string, input: DeployRequest) {
      const project = await projects.find(workspaceId, projectId);
      return enqueueNew(project, {
        projectId: project.id,
        workspaceId,
        kind: 'deploy',
        trigger: input.trigger ?? 'manual',
        branch: input.branch ?? project.branch,
        commitSha: input.commitSha,
        requestedBy: input.requestedBy,
        targetDeploymentId: input.targetDeploymentId,
      });
    },

    /**
     * Restores a release that was live: by default the one live before the current one. It runs
     * through the lane like a deploy (a running deploy is cancelled, queued ones superseded),
     * rebuilds nothing, and pauses auto-deploy so the next push does not undo it.
     */
    async rollback(workspaceId: string, projectId: string, { toDeploymentId, requestedBy }: { toDeploymentId?: string; requestedBy: string }) {
      const project = await projects.find(workspaceId, projectId);
      let target: Deployment | null;
      if (toDeploymentId) {
        target = await db.deployment.findFirst({ where: { id: toDeploymentId, workspaceId } });
        if (!target) throw notFound('Deployment');
        if (target.projectId !== project.id) throw new ApiError(422, 'wrong_project', `Deployment ${toDeploymentId} belongs to another project`);
        if (!target.liveAt) throw new ApiError(422, 'never_live', `Deployment ${toDeploymentId} never went live: only a release that was live can be restored`);
        if (target.id === project.liveDeploymentId) throw new ApiError(409, 'already_live', `Deployment ${toDeploymentId} is the live release already`);
      } else {
        if (!project.liveDeploymentId) throw new ApiError(409, 'no_release', 'The project has no live release to roll back from');
        target = await db.deployment.findFirst({
          where: { projectId: project.id, liveAt: { not: null }, id: { not: project.liveDeploymentId } },
          orderBy: { liveAt: 'desc' },
        });
        if (!target) throw new ApiError(409, 'no_earlier_release', 'There is no earlier release to roll back to');
      }
      if (!target.imageDigest) throw new ApiError(422, 'no_image', `Deployment ${target.id} has no image digest to restore`);
      const view = await enqueueNew(project, rollbackRow(target, { trigger: 'rollback', requestedBy }), 'rollback');
      await pauseAutoDeploy(db, project.id, `Rolled back to ${target.commitSha?.slice(0, 7) ?? target.id} (deployment ${target.id}) by ${requestedBy}`);
      return view;
    },

    /** A new deployment of the same commit, linked to the original; a still-valid image is reused. */
    async retry(workspaceId: string, deploymentId: string, requestedBy: string) {
      const original = await findScoped(workspaceId, deploymentId);
      if (original.status !== 'failed' && original.status !== 'cancelled') {
        throw new ApiError(409, 'not_retryable', `Only failed or cancelled deployments can be retried; this one is ${original.status}`);
      }
      if (original.kind === 'rollback') throw new ApiError(409, 'not_retryable', 'A rollback is retried by requesting the rollback again');
      const project = await projects.find(workspaceId, original.projectId);
      return enqueueNew(project, {
        projectId: project.id,
        workspaceId,
        kind: 'deploy',
        trigger: 'retry',
        branch: original.branch ?? project.branch,
        commitSha: original.commitSha,
        framework: original.commitSha ? original.framework : null,
        requestedBy,
        targetDeploymentId: original.id,
      });
    },

    async list(workspaceId: string, projectId: string, query: PageQuery) {
      await projects.find(workspaceId, projectId);
      const result = await paginate(query, (pageArgs) =>
        db.deployment.findMany({ where: { projectId, workspaceId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], include: { steps: true }, ...pageArgs }),
      );
      return { items: result.items.map(deploymentView), nextCursor: result.nextCursor };
    },

    async get(workspaceId: string, deploymentId: string) {
      return deploymentView(await findScoped(workspaceId, deploymentId));
    },

    async cancel(workspaceId: string, deploymentId: string) {
      const deployment = await findScoped(workspaceId, deploymentId);
      if (FINAL_STATUSES.has(deployment.status)) throw conflict(`Deployment already ${deployment.status}`);
      const result = await lane.cancel(deployment.projectId, deploymentId);
      if (result === 'not-in-lane') {
        // Queued in the database but unknown to the lane: nothing runs, so close it here.
        await db.deployment.updateMany({
          where: { id: deploymentId, status: 'queued' },
          data: {
            status: 'cancelled',
            finishedAt: new Date(),
            errorStep: 'queue',
            errorType: 'cancelled',
            errorMessage: 'Cancelled on request before it started',
          },
        });
      }
      return { ...deploymentView(await findScoped(workspaceId, deploymentId)), cancel: result };
    },
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
