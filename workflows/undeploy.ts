// The undeploy of one project (workflow id `undeploy/<projectId>`, started by DELETE
// /v1/projects/:id): close its lane, remove its GitOps folder in one commit, wait until Argo CD
// has deleted the app (and, through the resources finalizer, what it ran), release its names.
// Every step is an idempotent activity keyed by the project id; this only sequences them.
import { ApplicationFailure, condition, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { UndeployActivities, UndeployOutcome, UndeployStep } from '../activities/undeploy-types.js';
import { laneWorkflowId } from '../lib/workflow-ids.js';
import { describeFailure } from './failures.js';
import { closeLane, laneClosed } from './messages.js';
import { undeployPlan, type UndeployPlan, type UndeploySettings } from './plan.js';
import { recordOptions, stepOptions } from './options.js';

const records = proxyActivities<UndeployActivities>(recordOptions);

export interface UndeployInput {
  projectId: string;
  settings: UndeploySettings;
}

export async function undeployWorkflow({ projectId, settings }: UndeployInput): Promise<UndeployOutcome> {
  let closed = false;
  setHandler(laneClosed, () => {
    closed = true;
  });
  const plan = undeployPlan(settings);
  const steps = stepsOf(plan);
  await records.prepareUndeploy({ projectId });
  let step: UndeployStep = 'close_lane';
  let gitopsCommitSha: string | null = null;
  try {
    step = 'close_lane';
    await records.markUndeployStep({ projectId, step });
    await closeTheLane(projectId, () => closed, plan.laneCloseMs);
    await records.cancelStrayDeployments({ projectId });

    step = 'remove_folder';
    await records.markUndeployStep({ projectId, step });
    gitopsCommitSha = (await steps.git.removeAppFolder({ projectId })).gitopsCommitSha;

    step = 'await_gone';
    await records.markUndeployStep({ projectId, step });
    await steps.argo.awaitAppGone({ projectId });

    step = 'release_names';
    await records.markUndeployStep({ projectId, step });
    const outcome: UndeployOutcome = { status: 'succeeded', gitopsCommitSha };
    await records.finishUndeploy({ projectId, outcome });
    return outcome;
  } catch (error) {
    // describeFailure names a deploy step; only its type and message are used here.
    const described = describeFailure(error, 'await_live');
    const outcome: UndeployOutcome = { status: 'failed', gitopsCommitSha, error: { step, type: described.type, message: described.message } };
    await records.finishUndeploy({ projectId, outcome });
    // Fail the workflow too, so the Temporal UI shows what the database says. A later DELETE
    // starts the undeploy again (the id may be reused after a failure); its steps find their work done.
    throw ApplicationFailure.nonRetryable(outcome.error!.message, outcome.error!.type, outcome.error);
  }
}

/**
 * Asks the project's lane to close and waits until it says nothing runs any more. A project
 * that never deployed has no lane: the signal fails and there is nothing to wait for.
 */
async function closeTheLane(projectId: string, isClosed: () => boolean, timeoutMs: number): Promise<void> {
  try {
    await getExternalWorkflowHandle(laneWorkflowId(projectId)).signal(closeLane, {
      reason: 'Cancelled: the project was deleted',
      notify: workflowInfo().workflowId,
    });
  } catch {
    return; // no lane running (never deployed, or it already ended)
  }
  if (!(await condition(isClosed, timeoutMs))) {
    throw ApplicationFailure.nonRetryable(`The project's lane did not stop its deployments within ${Math.round(timeoutMs / 1000)} s`, 'timeout');
  }
}

function stepsOf(plan: UndeployPlan) {
  return {
    git: proxyActivities<UndeployActivities>({
      ...stepOptions(plan.removeFolder.attemptMs, { heartbeat: false }),
      scheduleToCloseTimeout: plan.removeFolder.totalMs,
    }),
    argo: proxyActivities<UndeployActivities>(stepOptions(plan.awaitGoneMs, { heartbeat: true })),
  };
}
