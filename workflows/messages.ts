// The messages of the project lane. The API imports these and nothing else from workflows/.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface LaneRequest {
  deploymentId: string;
  kind: 'deploy' | 'rollback';
}

export type CancelResult = 'cancelling' | 'cancelled' | 'not-in-lane';

export interface LaneState {
  running?: string;
  queued: string[];
}

/**
 * Adds a deployment to the project's lane (signal-with-start creates the lane if needed). A
 * signal is durable once the server has it and needs no workflow task to be acknowledged, so a
 * burst of webhooks is answered in milliseconds; enqueueing the same id twice is a no-op.
 */
export const enqueueDeployment = defineSignal<[LaneRequest]>('enqueueDeployment');
/** Cancels a queued or running deployment of the lane. */
export const cancelDeployment = defineUpdate<CancelResult, [{ deploymentId: string }]>('cancelDeployment');
export const laneState = defineQuery<LaneState>('laneState');

export const laneWorkflowId = (projectId: string) => `project/${projectId}`;
export const deploymentWorkflowId = (deploymentId: string) => `deployment/${deploymentId}`;
