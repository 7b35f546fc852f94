// The API's view of a project's undeploy (DELETE /v1/projects/:id, GET .../undeploy).
import type { Project } from '../generated/prisma/client.js';
import { undeployWorkflowId } from '../lib/workflow-ids.js';

export function undeployView(p: Project, appName: string) {
  return {
    projectId: p.id,
    appName,
    status: p.undeployStatus ?? 'running',
    /** The step running now (running), or the one that failed (failed). */
    step: p.undeployStep,
    requestedAt: p.undeployRequestedAt ?? p.deletedAt,
    requestedBy: p.undeployRequestedBy,
    gitopsCommitSha: p.undeployCommitSha,
    undeployedAt: p.undeployedAt,
    namesReleased: p.namesClaimed === null,
    workflowId: undeployWorkflowId(p.id),
    error:
      p.undeployStatus === 'failed'
        ? { step: p.undeployStep ?? 'unknown', type: p.undeployErrorType ?? 'internal', message: p.undeployErrorMessage ?? '' }
        : null,
  };
}
