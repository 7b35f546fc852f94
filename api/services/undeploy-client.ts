// Starting a project's undeploy workflow: one per project (workflow id undeploy/<projectId>).
// A DELETE while it runs gets the running one (USE_EXISTING); after a failed one, a DELETE
// starts it again (ALLOW_DUPLICATE_FAILED_ONLY); a succeeded one is never started twice.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Env } from '../../lib/config.js';
import { WorkflowType, undeployWorkflowId } from '../../lib/workflow-ids.js';
import type { UndeploySettings } from '../../workflows/plan.js';
import type { undeployWorkflow } from '../../workflows/undeploy.js';
import { ProjectId, WorkspaceId } from '../../workflows/search-attributes.js';

export interface UndeployClient {
  start(project: { id: string; workspaceId: string }): Promise<void>;
}

type UndeployConfig = Pick<Env, 'TEMPORAL_TASK_QUEUE' | 'UNDEPLOY_TIMEOUT' | 'COMMIT_RELEASE_TIMEOUT'>;

export const undeploySettings = (config: UndeployConfig): UndeploySettings => ({
  timeoutMs: config.UNDEPLOY_TIMEOUT,
  commitTimeoutMs: config.COMMIT_RELEASE_TIMEOUT,
});

export function createUndeployClient(temporal: Client, config: UndeployConfig): UndeployClient {
  const settings = undeploySettings(config);
  return {
    async start(project) {
      try {
        await temporal.workflow.start<typeof undeployWorkflow>(WorkflowType.undeploy, {
          workflowId: undeployWorkflowId(project.id),
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          args: [{ projectId: project.id, settings }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: new TypedSearchAttributes([
            { key: ProjectId, value: project.id },
            { key: WorkspaceId, value: project.workspaceId },
          ]),
        });
      } catch (error) {
        // It already succeeded: the database says so too, nothing to start.
        if (error instanceof WorkflowExecutionAlreadyStartedError) return;
        throw error;
      }
    },
  };
}
