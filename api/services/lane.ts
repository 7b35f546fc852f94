// Talking to a project's lane workflow: update-with-start to enqueue, update to cancel.
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { cancelDeployment, enqueueDeployment, laneWorkflowId, type CancelResult, type EnqueueResult, type LaneRequest } from '../../workflows/messages.js';
import { ProjectId, WorkspaceId } from '../../workflows/search-attributes.js';

export interface LaneClient {
  enqueue(project: { id: string; workspaceId: string }, request: LaneRequest): Promise<EnqueueResult>;
  cancel(projectId: string, deploymentId: string): Promise<CancelResult>;
}

export function createLaneClient(temporal: Client, taskQueue: string): LaneClient {
  return {
    async enqueue(project, request) {
      const start = new WithStartWorkflowOperation('projectLane', {
        workflowId: laneWorkflowId(project.id),
        taskQueue,
        args: [{ projectId: project.id }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: new TypedSearchAttributes([
          { key: ProjectId, value: project.id },
          { key: WorkspaceId, value: project.workspaceId },
        ]),
      });
      return temporal.workflow.executeUpdateWithStart(enqueueDeployment, { args: [request], startWorkflowOperation: start });
    },
    async cancel(projectId, deploymentId) {
      try {
        return await temporal.workflow.getHandle(laneWorkflowId(projectId)).executeUpdate(cancelDeployment, { args: [{ deploymentId }] });
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'not-in-lane';
        throw error;
      }
    },
  };
}
