// The per-project lane (workflow id `project/<projectId>`): one deployment at a time. While one
// runs, a newer request supersedes the queued ones; a rollback also cancels the running deploy.
// An undeploy closes the lane: nothing queued or running is left, and nothing new starts.
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
  isCancellation,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DeployActivities } from '../activities/types.js';
import { deploymentWorkflowId } from '../lib/workflow-ids.js';
import { cancelDeployment, closeLane, enqueueDeployment, laneClosed, laneState } from './messages.js';
import { recordOptions } from './options.js';
import { deployWorkflow } from './deploy.js';
import { describeFailure } from './failures.js';
import { LaneState, type LaneCarry } from './lane-state.js';

const records = proxyActivities<DeployActivities>(recordOptions);

export interface LaneInput extends Partial<LaneCarry> {
  projectId: string;
}

/** Deployments per run before the lane continues as new, to keep its history short. */
const RUNS_PER_HISTORY = 50;
/**
 * How long a closed lane keeps answering before it ends. A request that read the project just
 * before DELETE marked it deleted can still arrive (milliseconds later): it is recorded
 * cancelled here instead of starting a new lane that would deploy into a removed folder.
 */
const CLOSED_GRACE = '2 minutes';

export async function projectLane({ projectId, queue = [], closed }: LaneInput): Promise<void> {
  const lane = new LaneState({ queue, closed });
  setHandler(enqueueDeployment, (request) => lane.enqueue(request));
  setHandler(cancelDeployment, ({ deploymentId }) => lane.cancel(deploymentId));
  setHandler(laneState, () => lane.snapshot());
  setHandler(closeLane, (request) => lane.close(request));

  // Records superseded and cancelled queued deployments as they happen, beside the main loop.
  void (async () => {
    for (;;) {
      await condition(() => lane.toRecord.length > 0);
      await records.recordOutcome(lane.toRecord[0]!);
      lane.toRecord.shift();
    }
  })();
  const allRecorded = () => lane.toRecord.length === 0;

  for (let runs = 0; !lane.closed; runs += 1) {
    if (runs >= RUNS_PER_HISTORY || workflowInfo().continueAsNewSuggested) {
      await condition(() => allRecorded() && allHandlersFinished());
      await continueAsNew<typeof projectLane>({ projectId, ...lane.carry() });
    }
    await condition(() => lane.queue.length > 0 || lane.closed);
    if (lane.closed) break;
    await runDeployment(lane, lane.queue.shift()!);
  }
  // Closed: nothing runs any more. Once every outcome is recorded, tell the undeploy(s); late
  // requests are recorded cancelled for a while, then the lane ends.
  for (;;) {
    await condition(allRecorded);
    for (const id of lane.notify.splice(0)) {
      // An undeploy that is gone (terminated) has nobody to tell.
      await getExternalWorkflowHandle(id)
        .signal(laneClosed)
        .catch(() => undefined);
    }
    if (!(await condition(() => lane.notify.length > 0, CLOSED_GRACE))) break;
  }
  await condition(() => allRecorded() && allHandlersFinished());
}

/** One deployment as a child workflow, cancellable through the lane while it runs. */
async function runDeployment(lane: LaneState, request: LaneState['queue'][number]): Promise<void> {
  const scope = new CancellationScope();
  lane.running = { deploymentId: request.deploymentId, cancel: () => scope.cancel() };
  try {
    await scope.run(() =>
      executeChild(deployWorkflow, {
        workflowId: deploymentWorkflowId(request.deploymentId),
        args: [{ deploymentId: request.deploymentId, kind: request.kind, settings: request.settings }],
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      }),
    );
  } catch (error) {
    // The deploy workflow records its own failure or cancellation. What it cannot record is
    // being terminated from outside, or never starting: record those here.
    if (error instanceof WorkflowExecutionAlreadyStartedError || isCancellation(error)) {
      // Already handled by an earlier run of this lane, or cancelled (recorded by the child).
    } else {
      const described = describeFailure(error, 'build');
      if (described.type === 'terminated') {
        await records.recordOutcome({ deploymentId: request.deploymentId, outcome: { status: 'failed', error: { ...described, step: 'queue' } } });
      }
    }
  } finally {
    lane.running = undefined;
  }
}
