// The messages of the project lane. The API imports these (and the workflow types for typed
// starts) from workflows/; workflow ids live in lib/workflow-ids.ts.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeploymentKind } from '../activities/types.js';
import type { DeploySettings } from './plan.js';

export interface LaneRequest {
  deploymentId: string;
  kind: DeploymentKind;
  /** The limits it runs under, from the requesting API's configuration. */
  settings: DeploySettings;
}

export type CancelResult = 'cancelling' | 'cancelled' | 'not-in-lane';

export interface LaneSnapshot {
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
export const laneState = defineQuery<LaneSnapshot>('laneState');
/**
 * Closes the lane for good (the project is being undeployed): queued deployments are cancelled,
 * a running one is cancelled (its Jenkins build stopped) and waited for, later requests are
 * recorded cancelled. Then the lane signals `laneClosed` to `notify` (the undeploy workflow).
 * Signals, not an update: one workflow can signal another; only clients can send updates.
 */
export const closeLane = defineSignal<[{ reason: string; notify: string }]>('closeLane');
/** Sent by a closed lane once nothing of the project runs and every outcome is recorded. */
export const laneClosed = defineSignal('laneClosed');
