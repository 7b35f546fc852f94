// One deployment, as numbered steps. Every step is an idempotent activity keyed by the
// deployment id; the workflow only sequences them and records the outcome.
import { CancellationScope, executeChild, isCancellation, proxyActivities, upsertSearchAttributes, ApplicationFailure, log } from '@temporalio/workflow';
import type { DeployActivities, DeploymentKind, Outcome, StepName } from '../activities/types.js';
import { deploymentWorkflowId } from '../lib/workflow-ids.js';
import { describeFailure } from './failures.js';
import { recordOptions, stepOptions } from './options.js';
import { deployPlan, rollsBack, type DeployPlan, type DeploySettings } from './plan.js';
import { CommitSha, DeployKind, DeploymentId, DeployStatus, DeployTrigger, ProjectId, WorkspaceId } from './search-attributes.js';

const records = proxyActivities<DeployActivities>(recordOptions);
// Telling GitHub is a courtesy: a few quick tries, and a deploy never waits on or fails for it.
const github = proxyActivities<DeployActivities>({ startToCloseTimeout: '20s', retry: { maximumAttempts: 3, initialInterval: '1s' } });

export interface DeployInput {
  deploymentId: string;
  kind: DeploymentKind;
  settings: DeploySettings;
}

export async function deployWorkflow({ deploymentId, kind, settings }: DeployInput): Promise<Outcome> {
  const plan = deployPlan(kind, settings);
  const run = stepRunner(deploymentId, plan);
  let reported = false;
  // 'queue' until the deployment has started: a cancel that arrives while it starts, or a row
  // the bookkeeping refuses, is recorded there like any other failure.
  let step: StepName | 'queue' = 'queue';
  try {
    const facts = await records.prepareDeployment({ deploymentId, kind, steps: plan.steps.map((s) => s.name) });
    // What ops filter on in the Temporal UI (e.g. ProjectId = "..." AND DeployStatus = "failed").
    upsertSearchAttributes([
      { key: DeploymentId, value: deploymentId },
      { key: ProjectId, value: facts.projectId },
      { key: WorkspaceId, value: facts.workspaceId },
      { key: DeployKind, value: kind },
      { key: DeployTrigger, value: facts.trigger },
      { key: DeployStatus, value: 'running' },
      ...(facts.commitSha ? [{ key: CommitSha, value: facts.commitSha }] : []),
    ]);
    for (const planned of plan.steps) {
      // The step counts as begun once it is marked running (a cancel before that is 'queue').
      await records.markStep({ deploymentId, step: planned.name, status: 'running' });
      step = planned.name;
      await run[step]();
      await records.markStep({ deploymentId, step, status: 'succeeded' });
      // GitHub learns of the deploy once its commit is pinned.
      if (!reported) reported = await report(deploymentId, 'in_progress');
    }
  } catch (error) {
    if (isCancellation(error)) {
      // Record the truth even though the workflow is being cancelled, then let it end cancelled.
      await CancellationScope.nonCancellable(async () => {
        if (step === 'build') await records.stopBuild({ deploymentId });
        await finish(deploymentId, { status: 'cancelled', error: { step, type: 'cancelled', message: 'Cancelled on request' } });
      });
      throw error;
    }
    const failure = describeFailure(error, step);
    // A build that ran out of time is still running in Jenkins: stop it (a no-op if it ended).
    if (step === 'build' && failure.type === 'timeout') await records.stopBuild({ deploymentId });
    // Failed after the release was committed (Degraded, timeout, failed sync, broken chart):
    // put the last live release back, in this same workflow. The failure and the rollback's row
    // are recorded together.
    const rollBack = rollsBack(plan, step, failure.type);
    await finish(deploymentId, { status: 'failed', error: failure }, rollBack);
    if (rollBack) await rollBackAfter(deploymentId, settings);
    // Fail the workflow too, so the Temporal UI shows what the database says.
    throw ApplicationFailure.nonRetryable(failure.message, failure.type, failure);
  }
  const outcome: Outcome = { status: 'succeeded' };
  await finish(deploymentId, outcome);
  return outcome;
}

/** The steps, each through an activity proxy bounded by that step's own time limit. */
function stepRunner(deploymentId: string, plan: DeployPlan): Record<StepName, () => Promise<unknown>> {
  const limits = new Map(plan.steps.map((s) => [s.name, s]));
  const step = (name: StepName) => {
    const planned = limits.get(name)!;
    return proxyActivities<DeployActivities>(stepOptions(planned.limitMs, { heartbeat: planned.heartbeat }));
  };
  return {
    // 1. pin the branch to an exact commit and detect the framework
    resolve_source: async () => {
      const source = await step('resolve_source').resolveSource({ deploymentId });
      upsertSearchAttributes([{ key: CommitSha, value: source.commitSha }]);
    },
    // 2. Jenkins builds, scans and pushes the image (log followed live, heartbeating its offset)
    build: () => step('build').build({ deploymentId }),
    // 3. the image and its scan, confirmed in the registry
    verify_image: () => step('verify_image').verifyImage({ deploymentId }),
    // 4. the release values committed to the GitOps repository
    commit_release: () => step('commit_release').commitRelease({ deploymentId }),
    // 5. Argo CD reports the app Synced and Healthy at exactly that commit
    await_live: () => step('await_live').awaitLive({ deploymentId }),
  };
}

/** Runs the auto-rollback as a child deployment; its own outcome is recorded by itself. */
async function rollBackAfter(deploymentId: string, settings: DeploySettings): Promise<void> {
  const { rollbackId } = await records.startAutoRollback({ deploymentId });
  if (!rollbackId) {
    log.info('no earlier release to roll back to', { deploymentId });
    return;
  }
  try {
    await executeChild(deployWorkflow, { workflowId: deploymentWorkflowId(rollbackId), args: [{ deploymentId: rollbackId, kind: 'rollback', settings }] });
  } catch (error) {
    log.warn('automatic rollback failed', { deploymentId, rollbackId, error: error instanceof Error ? error.message : String(error) });
  }
}

/** 6. record the outcome (the release becomes the live version on success). */
async function finish(deploymentId: string, outcome: Outcome, autoRollback = false): Promise<void> {
  await records.recordOutcome({ deploymentId, outcome, ...(autoRollback ? { autoRollback } : {}) });
  upsertSearchAttributes([{ key: DeployStatus, value: outcome.status }]);
  await report(deploymentId, outcome.status === 'succeeded' ? 'success' : outcome.status === 'failed' ? 'failure' : 'inactive');
}

async function report(deploymentId: string, state: 'in_progress' | 'success' | 'failure' | 'inactive'): Promise<boolean> {
  try {
    await github.reportToGitHub({ deploymentId, state });
  } catch (error) {
    log.warn('could not report to GitHub', { deploymentId, state, error: error instanceof Error ? error.message : String(error) });
  }
  return true;
}
