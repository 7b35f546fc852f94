// Talking to a project's lane workflow: signal-with-start to enqueue, an update to cancel.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { cancelDeployment, enqueueDeployment, laneWorkflowId, type CancelResult, type LaneRequest } from '../../workflows/messages.js';
import { ProjectId, WorkspaceId } from '../../workflows/search-attributes.js';

export interface LaneClient {
  enqueue(project: { id: string; workspaceId: string }, request: LaneRequest): Promise<void>;
  cancel(projectId: string, deploymentId: string): Promise<CancelResult>;
}

export function createLaneClient(temporal: Client, taskQueue: string): LaneClient {
  return {
    async enqueue(project, request) {
      await temporal.workflow.signalWithStart('projectLane', {
        workflowId: laneWorkflowId(project.id),
        taskQueue,
        args: [{ projectId: project.id }],
        signal: enqueueDeployment,
        signalArgs: [request],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: ProjectId, value: project.id },
          { key: WorkspaceId, value: project.workspaceId },
        ]),
      });
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
