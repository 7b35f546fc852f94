// The undeploy's activities (DELETE /v1/projects/:id; workflows/undeploy.ts), each idempotent
// and keyed by the undeploy's id, which is the project id (one undeploy per project, ever):
// the GitOps removal commit carries `Undeploy-Id: <projectId>`, the Argo CD wait resumes from
// its heartbeat, and every database write is guarded by the current undeploy status.
import { Context, activityInfo } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';
import { terminal, TerminalFailure, toActivityFailure } from './errors.js';
import { projectNames } from '../gitops/project-view.js';
import { retryRead, withHeartbeats } from './retry.js';
import type { UndeployActivities, UndeployFacts } from './undeploy-types.js';

interface GoneProgress {
  startedAt: number;
  /** When the app of apps was last refreshed: it renews the branch heads the ApplicationSet reads. */
  nudgedAt?: number;
}

/** How often to refresh the app of apps while the app still exists (the ApplicationSet requeues every 30 s). */
const NUDGE_EVERY_MS = 45_000;

export function createUndeployActivities({ db, config, logger, clients: { argocd: argo, gitops: repo } }: ActivityDeps): UndeployActivities {
  const load = async (projectId: string) => {
    const project = await db.project.findUnique({ where: { id: projectId } });
    if (!project) throw terminal(TerminalFailure.invalidInput, `Project ${projectId} does not exist`);
    if (!project.deletedAt)
      throw terminal(TerminalFailure.invalidInput, `Project ${projectId} is not deleted: only DELETE /v1/projects/${projectId} starts its undeploy`);
    return project;
  };

  return {
    async prepareUndeploy({ projectId }): Promise<UndeployFacts> {
      const project = await load(projectId);
      // A run after a failed one: the API set it running again already; this covers a run an
      // operator started from the Temporal UI.
      await db.project.updateMany({
        where: { id: projectId, undeployStatus: { not: 'succeeded' } },
        data: { undeployStatus: 'running', undeployErrorType: null, undeployErrorMessage: null },
      });
      logger.info('undeploy started', { projectId });
      return {
        projectId,
        workspaceId: project.workspaceId,
        appName: projectNames(project, config).appName,
      };
    },

    async markUndeployStep({ projectId, step }) {
      await db.project.updateMany({ where: { id: projectId, undeployStatus: 'running' }, data: { undeployStep: step } });
    },

    async cancelStrayDeployments({ projectId }) {
      // Rows the lane never heard of (their enqueue failed, or raced the deletion): nothing will
      // run them, so they are closed here rather than left queued forever.
      const { count } = await db.deployment.updateMany({
        where: { projectId, status: 'queued' },
        data: { status: 'cancelled', finishedAt: new Date(), errorStep: 'queue', errorType: 'cancelled', errorMessage: 'Cancelled: the project was deleted' },
      });
      return { cancelled: count };
    },

    async removeAppFolder({ projectId }) {
      const project = await load(projectId);
      if (project.undeployCommitSha) return { gitopsCommitSha: project.undeployCommitSha };
      const names = projectNames(project, config);
      try {
        const { sha } = await repo.removeFolder({
          path: names.gitopsPath,
          undeployId: projectId,
          message: `Undeploy ${project.workspaceId}/${project.userId}/${project.name}`,
        });
        if (sha) await db.project.update({ where: { id: projectId }, data: { undeployCommitSha: sha } });
        return { gitopsCommitSha: sha ?? null };
      } catch (error) {
        throw toActivityFailure(error, 'remove_folder'); // push conflicts and remote errors are transient: retried with backoff
      }
    },

    async awaitAppGone({ projectId }) {
      const project = await load(projectId);
      const { appName } = projectNames(project, config);
      const saved = activityInfo().heartbeatDetails as GoneProgress | undefined;
      const progress: GoneProgress = saved ?? { startedAt: Date.now() };
      const deadline = progress.startedAt + config.UNDEPLOY_TIMEOUT;
      // With the project named, Argo CD answers 404 for a missing app and 403 only for RBAC, so
      // an app this account may not see is never mistaken for one that is gone.
      const read = () => argo.getApplication(appName, { project: config.ARGOCD_PROJECT });
      let last = 'Argo CD still has the application';
      try {
        for (;;) {
          const app = await retryRead(read);
          if (!app) return;
          const deleting = (app.metadata as { deletionTimestamp?: unknown }).deletionTimestamp;
          if (typeof deleting === 'string') last = `Argo CD is deleting the application and its resources (since ${deleting})`;
          if (progress.nudgedAt === undefined || Date.now() - progress.nudgedAt >= NUDGE_EVERY_MS) {
            // The ApplicationSet deletes the app at its next requeue once it sees the folder gone;
            // it reads branch heads through a cache that refreshing the app of apps renews. Best effort.
            await withHeartbeats(progress, () => argo.getApplication(config.ARGOCD_BOOTSTRAP_APP, { refresh: 'normal', timeoutMs: 30_000 })).catch(
              () => undefined,
            );
            progress.nudgedAt = Date.now();
          }
          if (Date.now() >= deadline) {
            throw terminal(
              TerminalFailure.timeout,
              `Argo CD did not delete ${appName} within ${Math.round(config.UNDEPLOY_TIMEOUT / 1000)} s of the folder's removal (last: ${last})`,
            );
          }
          Context.current().heartbeat(progress);
          await Context.current().sleep(config.POLL_INTERVAL);
        }
      } catch (error) {
        throw toActivityFailure(error, 'await_gone');
      }
    },

    async finishUndeploy({ projectId, outcome }) {
      if (outcome.status === 'succeeded') {
        // The names go back to the pool in the same write that says the undeploy is done.
        const { count } = await db.project.updateMany({
          where: { id: projectId, undeployStatus: { not: 'succeeded' } },
          data: {
            undeployStatus: 'succeeded',
            undeployStep: null,
            undeployedAt: new Date(),
            namesClaimed: null,
            undeployErrorType: null,
            undeployErrorMessage: null,
          },
        });
        if (count > 0) logger.info('undeploy succeeded', { projectId, gitopsCommitSha: outcome.gitopsCommitSha });
        return;
      }
      await db.project.updateMany({
        where: { id: projectId, undeployStatus: 'running' },
        data: {
          undeployStatus: 'failed',
          undeployStep: outcome.error?.step ?? null,
          undeployErrorType: outcome.error?.type ?? 'internal',
          undeployErrorMessage: outcome.error?.message ?? null,
        },
      });
      logger.warn('undeploy failed', { projectId, error: outcome.error });
    },
  };
}
