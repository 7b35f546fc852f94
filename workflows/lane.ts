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
import type { DeployActivities, Outcome } from '../activities/types.js';
import { cancelDeployment, closeLane, deploymentWorkflowId, enqueueDeployment, laneClosed, laneState, type LaneRequest } from './messages.js';
import { recordOptions } from './options.js';
import { deployWorkflow } from './deploy.js';
import { describeFailure } from './failures.js';

const records = proxyActivities<DeployActivities>(recordOptions);

export interface LaneInput {
  projectId: string;
  /** Requests carried over a continue-as-new. */
  queue?: LaneRequest[];
  /** Carried over a continue-as-new: the lane was closed by an undeploy, which waits for `laneClosed`. */
  closed?: { reason: string; notify: string[] };
}

/** Deployments per run before the lane continues as new, to keep its history short. */
const RUNS_PER_HISTORY = 50;
/** Deployment ids remembered to make enqueue idempotent. */
const REMEMBERED_IDS = 200;
/**
 * How long a closed lane keeps answering before it ends. A request that read the project just
 * before DELETE marked it deleted can still arrive (milliseconds later): it is recorded
 * cancelled here instead of starting a new lane that would deploy into a removed folder.
 */
const CLOSED_GRACE = '2 minutes';

const closedOutcome = (reason: string): Outcome => ({ status: 'cancelled', error: { step: 'queue', type: 'cancelled', message: reason } });

export async function projectLane({ projectId, queue: carried = [], closed: carriedClosed }: LaneInput): Promise<void> {
  const queue: LaneRequest[] = [...carried];
  let closed = carriedClosed?.reason;
  const notify: string[] = [...(carriedClosed?.notify ?? [])];
  const seen: string[] = carried.map((r) => r.deploymentId);
  const toClose: Array<{ deploymentId: string; outcome: Outcome }> = [];
  let running: { deploymentId: string; scope: CancellationScope } | undefined;

  setHandler(enqueueDeployment, (request) => {
    if (typeof request?.deploymentId !== 'string' || !request.deploymentId || seen.includes(request.deploymentId)) return;
    seen.push(request.deploymentId);
    if (seen.length > REMEMBERED_IDS) seen.shift();
    if (closed) {
      toClose.push({ deploymentId: request.deploymentId, outcome: closedOutcome(closed) });
      return;
    }
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

  setHandler(closeLane, (request) => {
    if (typeof request?.notify !== 'string' || !request.notify) return;
    closed ??= request.reason || 'The project was deleted';
    if (!notify.includes(request.notify)) notify.push(request.notify);
    for (const old of queue.splice(0)) toClose.push({ deploymentId: old.deploymentId, outcome: closedOutcome(closed) });
    // The running deploy records its own cancellation (WAIT_CANCELLATION_COMPLETED below).
    running?.scope.cancel();
  });

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
    if (closed) break;
    if (runs >= RUNS_PER_HISTORY || workflowInfo().continueAsNewSuggested) {
      await condition(() => toClose.length === 0 && allHandlersFinished());
      await continueAsNew<typeof projectLane>({ projectId, queue, ...(closed ? { closed: { reason: closed, notify } } : {}) });
    }
    await condition(() => queue.length > 0 || closed !== undefined);
    if (closed) break;
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
  // Closed: nothing runs any more. Once every outcome is recorded, tell the undeploy(s); late
  // requests are recorded cancelled for a while, then the lane ends.
  for (;;) {
    await condition(() => toClose.length === 0);
    for (const id of notify.splice(0)) {
      // An undeploy that is gone (terminated) has nobody to tell.
      await getExternalWorkflowHandle(id).signal(laneClosed).catch(() => undefined);
    }
    if (!(await condition(() => notify.length > 0, CLOSED_GRACE))) break;
  }
  await condition(() => toClose.length === 0 && allHandlersFinished());
}
