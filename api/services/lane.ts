// Talking to a project's lane workflow: signal-with-start to enqueue, an update to cancel. Each
// request carries the step limits of this API's configuration (workflows/plan.ts applies them).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Env } from '../../lib/config.js';
import { WorkflowType, laneWorkflowId } from '../../lib/workflow-ids.js';
import type { projectLane } from '../../workflows/lane.js';
import { cancelDeployment, enqueueDeployment, type CancelResult, type LaneRequest } from '../../workflows/messages.js';
import type { DeploySettings } from '../../workflows/plan.js';
import { ProjectId, WorkspaceId } from '../../workflows/search-attributes.js';

export interface LaneClient {
  enqueue(project: { id: string; workspaceId: string }, request: Omit<LaneRequest, 'settings'>): Promise<void>;
  cancel(projectId: string, deploymentId: string): Promise<CancelResult>;
}

type LaneConfig = Pick<
  Env,
  | 'TEMPORAL_TASK_QUEUE'
  | 'RESOLVE_SOURCE_TIMEOUT'
  | 'BUILD_TIMEOUT'
  | 'VERIFY_IMAGE_TIMEOUT'
  | 'COMMIT_RELEASE_TIMEOUT'
  | 'AWAIT_LIVE_TIMEOUT'
  | 'LIVE_URL_PROBE'
  | 'LIVE_URL_PROBE_TIMEOUT'
  | 'AUTO_ROLLBACK'
>;

export function deploySettings(config: LaneConfig): DeploySettings {
  return {
    timeoutsMs: {
      resolveSource: config.RESOLVE_SOURCE_TIMEOUT,
      build: config.BUILD_TIMEOUT,
      verifyImage: config.VERIFY_IMAGE_TIMEOUT,
      commitRelease: config.COMMIT_RELEASE_TIMEOUT,
      awaitLive: config.AWAIT_LIVE_TIMEOUT,
    },
    ...(config.LIVE_URL_PROBE === 'on' ? { liveUrlProbeMs: config.LIVE_URL_PROBE_TIMEOUT } : {}),
    autoRollback: config.AUTO_ROLLBACK,
  };
}

export function createLaneClient(temporal: Client, config: LaneConfig): LaneClient {
  const settings = deploySettings(config);
  return {
    async enqueue(project, request) {
      await temporal.workflow.signalWithStart<typeof projectLane, [LaneRequest]>(WorkflowType.lane, {
        workflowId: laneWorkflowId(project.id),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [{ projectId: project.id }],
        signal: enqueueDeployment,
        signalArgs: [{ ...request, settings }],
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
