// The per-project lane (workflow id `project/<projectId>`): one deployment at a time. While one
// runs, a newer request supersedes the queued ones; a rollback also cancels the running deploy.
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
  isCancellation,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DeployActivities, Outcome } from '../activities/types.js';
import { cancelDeployment, deploymentWorkflowId, enqueueDeployment, laneState, type LaneRequest } from './messages.js';
import { recordOptions } from './options.js';
import { deployWorkflow } from './deploy.js';
import { describeFailure } from './failures.js';

const records = proxyActivities<DeployActivities>(recordOptions);

export interface LaneInput {
  projectId: string;
  /** Requests carried over a continue-as-new. */
  queue?: LaneRequest[];
}

/** Deployments per run before the lane continues as new, to keep its history short. */
const RUNS_PER_HISTORY = 50;
/** Deployment ids remembered to make enqueue idempotent. */
const REMEMBERED_IDS = 200;

export async function projectLane({ projectId, queue: carried = [] }: LaneInput): Promise<void> {
  const queue: LaneRequest[] = [...carried];
  const seen: string[] = carried.map((r) => r.deploymentId);
  const toClose: Array<{ deploymentId: string; outcome: Outcome }> = [];
  let running: { deploymentId: string; scope: CancellationScope } | undefined;

  setHandler(enqueueDeployment, (request) => {
    if (typeof request?.deploymentId !== 'string' || !request.deploymentId || seen.includes(request.deploymentId)) return;
    seen.push(request.deploymentId);
    if (seen.length > REMEMBERED_IDS) seen.shift();
    for (const old of queue.splice(0)) {
      toClose.push({ deploymentId: old.deploymentId, outcome: { status: 'superseded', supersededBy: request.deploymentId, error: { step: 'queue', type: 'superseded', message: `Superseded by deployment ${request.deploymentId}` } } });
    }
    // A rollback gets the app out of trouble first: it cancels whatever is running.
    if (request.kind === 'rollback' && running) running.scope.cancel();
    queue.push(request);
  });

  setHandler(cancelDeployment, ({ deploymentId }) => {
    if (running?.deploymentId === deploymentId) {
      running.scope.cancel();
      return 'cancelling';
    }
    const index = queue.findIndex((r) => r.deploymentId === deploymentId);
    if (index < 0) return 'not-in-lane';
    queue.splice(index, 1);
    toClose.push({ deploymentId, outcome: { status: 'cancelled', error: { step: 'queue', type: 'cancelled', message: 'Cancelled on request before it started' } } });
    return 'cancelled';
  });

  setHandler(laneState, () => ({ running: running?.deploymentId, queued: queue.map((r) => r.deploymentId) }));

  // Records superseded and cancelled queued deployments as they happen, beside the main loop.
  void (async () => {
    for (;;) {
      await condition(() => toClose.length > 0);
      const next = toClose[0]!;
      await records.recordOutcome(next);
      toClose.shift();
    }
  })();

  for (let runs = 0; ; runs += 1) {
    if (runs >= RUNS_PER_HISTORY || workflowInfo().continueAsNewSuggested) {
      await condition(() => toClose.length === 0 && allHandlersFinished());
      await continueAsNew<typeof projectLane>({ projectId, queue });
    }
    await condition(() => queue.length > 0);
    const request = queue.shift()!;
    const scope = new CancellationScope();
    running = { deploymentId: request.deploymentId, scope };
    try {
      await scope.run(() =>
        executeChild(deployWorkflow, {
          workflowId: deploymentWorkflowId(request.deploymentId),
          args: [{ deploymentId: request.deploymentId }],
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
      running = undefined;
    }
  }
}
