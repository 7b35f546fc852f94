// Rows the API and the activities both create: a rollback's deployment row, and the pause of
// auto-deploy that follows every rollback.
import type { Db, Prisma, Tx } from './db.js';

/** The row of a rollback deployment: the restored release's source and image, nothing rebuilt. */
export function rollbackRow(
  target: {
    id: string;
    projectId: string;
    workspaceId: string;
    branch: string | null;
    commitSha: string | null;
    framework: string | null;
    imageRepository: string | null;
    imageTag: string | null;
    imageDigest: string | null;
  },
  extra: { trigger: 'rollback' | 'auto_rollback'; requestedBy: string; causeDeploymentId?: string },
): Prisma.DeploymentUncheckedCreateInput {
  return {
    projectId: target.projectId,
    workspaceId: target.workspaceId,
    kind: 'rollback',
    trigger: extra.trigger,
    status: 'queued',
    branch: target.branch,
    commitSha: target.commitSha,
    framework: target.framework,
    imageRepository: target.imageRepository,
    imageTag: target.imageTag,
    imageDigest: target.imageDigest,
    requestedBy: extra.requestedBy,
    targetDeploymentId: target.id,
    causeDeploymentId: extra.causeDeploymentId,
  };
}

/**
 * After any rollback, the next push must not silently re-deploy the bad version: auto-deploy
 * stays paused, with the reason, until someone resumes it.
 */
export async function pauseAutoDeploy(tx: Tx | Db, projectId: string, reason: string): Promise<void> {
  await tx.project.update({ where: { id: projectId }, data: { autoDeployPausedAt: new Date(), autoDeployPauseReason: reason.slice(0, 500) } });
}
