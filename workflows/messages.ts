// The messages of the project lane. The API imports these and nothing else from workflows/.
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export interface LaneRequest {
  deploymentId: string;
  kind: 'deploy' | 'rollback';
}

export interface EnqueueResult {
  /** ids of queued deployments this request superseded. */
  superseded: string[];
  /** The deployment running in the lane when the request arrived, if any. */
  running?: string;
  /** True when this deployment id had already been enqueued (the call is idempotent). */
  duplicate: boolean;
}

export type CancelResult = 'cancelling' | 'cancelled' | 'not-in-lane';

export interface LaneState {
  running?: string;
  queued: string[];
}

/** Adds a deployment to the project's lane (update-with-start creates the lane if needed). */
export const enqueueDeployment = defineUpdate<EnqueueResult, [LaneRequest]>('enqueueDeployment');
/** Cancels a queued or running deployment of the lane. */
export const cancelDeployment = defineUpdate<CancelResult, [{ deploymentId: string }]>('cancelDeployment');
export const laneState = defineQuery<LaneState>('laneState');

export const laneWorkflowId = (projectId: string) => `project/${projectId}`;
export const deploymentWorkflowId = (deploymentId: string) => `deployment/${deploymentId}`;
