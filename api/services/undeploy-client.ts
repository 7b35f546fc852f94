// Starting a project's undeploy workflow: one per project (workflow id undeploy/<projectId>).
// A DELETE while it runs gets the running one (USE_EXISTING); after a failed one, a DELETE
// starts it again (ALLOW_DUPLICATE_FAILED_ONLY); a succeeded one is never started twice.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { undeployWorkflowId } from '../../workflows/messages.js';
import { ProjectId, WorkspaceId } from '../../workflows/search-attributes.js';

export interface UndeployClient {
  start(project: { id: string; workspaceId: string }): Promise<void>;
}

export function createUndeployClient(temporal: Client, taskQueue: string): UndeployClient {
  return {
    async start(project) {
      try {
        await temporal.workflow.start('undeployWorkflow', {
          workflowId: undeployWorkflowId(project.id),
          taskQueue,
          args: [{ projectId: project.id }],
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
