// deployWorkflow alone, on the test run's Temporal server with stand-in activities: the steps
// its plan names run in order under the limits from its settings, a failure after the release
// commit rolls back automatically as a child deployment, and the failures that say nothing
// about the release do not.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DeploymentKind } from '../activities/types.js';
import { deploymentWorkflowId, WorkflowType } from '../lib/workflow-ids.js';
import { fastSettings, startHarness, type Harness } from '../test/support/workflow-harness.js';
import type { deployWorkflow } from './deploy.js';
import { BACKSTOP_MS, type DeploySettings } from './plan.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('deploy-wf', inject('temporalAddress'));
}, 120_000);
afterAll(async () => h?.close());

function start(deploymentId: string, settings: DeploySettings, kind: DeploymentKind = 'deploy') {
  return h.client.workflow.start<typeof deployWorkflow>(WorkflowType.deploy, {
    workflowId: deploymentWorkflowId(deploymentId),
    taskQueue: h.taskQueue,
    args: [{ deploymentId, kind, settings }],
  });
}

/** The workflow's failure, as the Temporal UI shows it (the type the deployment row carries). */
async function failureOf(result: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** The child workflows a workflow started, from its history. */
async function childrenOf(workflowId: string): Promise<string[]> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? ''] : [],
  );
}

const degraded = async () => {
  throw ApplicationFailure.nonRetryable('The app turned Degraded', 'app_degraded');
};

describe('deployWorkflow', () => {
  it('runs the deploy plan in order, each step under its own limit from the settings, and records success', async () => {
    const id = randomUUID();
    const settings = fastSettings({ timeoutsMs: { resolveSource: 11_000, build: 12_000, verifyImage: 13_000, commitRelease: 14_000, awaitLive: 15_000 } });
    const handle = await start(id, settings);
    expect(await handle.result()).toEqual({ status: 'succeeded' });

    expect(h.stubs.steps(id)).toEqual(['resolveSource', 'build', 'verifyImage', 'commitRelease', 'awaitLive']);
    const prepare = h.stubs.calls.find((c) => c.id === id && c.activity === 'prepareDeployment');
    expect(prepare?.input).toEqual({ deploymentId: id, kind: 'deploy', steps: ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'] });
    // Every step is marked running, then succeeded, around its activity.
    const marks = h.stubs.calls.filter((c) => c.id === id && c.activity === 'markStep').map((c) => c.input as { step: string; status: string });
    expect(marks.map((m) => `${m.step}:${m.status}`)).toEqual(
      ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'].flatMap((s) => [`${s}:running`, `${s}:succeeded`]),
    );
    expect(h.stubs.outcomes.get(id)).toEqual({ outcome: { status: 'succeeded' } });
    const reports = h.stubs.calls.filter((c) => c.id === id && c.activity === 'reportToGitHub').map((c) => (c.input as { state: string }).state);
    expect(reports).toEqual(['in_progress', 'success']);

    // The limits of the settings reach each activity (await_live enforces its own, plus a backstop).
    const limitOf = (activity: string) => h.stubs.calls.find((c) => c.id === id && c.activity === activity)!.info;
    const expected = { resolveSource: 11_000, build: 12_000, verifyImage: 13_000, commitRelease: 14_000, awaitLive: 15_000 + BACKSTOP_MS };
    for (const [activity, ms] of Object.entries(expected)) {
      expect({ activity, ...limitOf(activity) }).toMatchObject({ activity, scheduleToCloseTimeoutMs: ms, startToCloseTimeoutMs: ms });
    }
    // The long steps heartbeat, the short ones do not.
    expect(['resolveSource', 'build', 'verifyImage', 'commitRelease', 'awaitLive'].map((a) => (limitOf(a).heartbeatTimeoutMs ?? 0) > 0)).toEqual([
      false,
      true,
      true,
      false,
      true,
    ]);
  });

  it('a rollback runs verify_image, commit_release and await_live only', async () => {
    const id = randomUUID();
    expect(await (await start(id, fastSettings(), 'rollback')).result()).toEqual({ status: 'succeeded' });
    expect(h.stubs.steps(id)).toEqual(['verifyImage', 'commitRelease', 'awaitLive']);
    expect(h.stubs.calls.find((c) => c.id === id && c.activity === 'prepareDeployment')?.input).toMatchObject({
      kind: 'rollback',
      steps: ['verify_image', 'commit_release', 'await_live'],
    });
  });

  it('a build that outlives its limit fails with type timeout, and the Jenkins build is stopped', async () => {
    const id = randomUUID();
    h.stubs.on(id, 'build', h.stubs.runUntilCancelled('build', id));
    const started = Date.now();
    const handle = await start(id, fastSettings({ timeoutsMs: { ...fastSettings().timeoutsMs, build: 1_500 } }));
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(h.stubs.outcomes.get(id)).toEqual({
      outcome: { status: 'failed', error: { step: 'build', type: 'timeout', message: 'Step build did not finish within its time limit' } },
    });
    expect(h.stubs.count(id, 'stopBuild')).toBe(1);
    expect(h.stubs.steps(id)).toEqual(['resolveSource', 'build']);
  });

  it('await_live failing terminally (app_degraded) records the failure with its rollback, and a child rollback restores the release', async () => {
    const id = randomUUID();
    h.stubs.on(id, 'awaitLive', degraded);
    const handle = await start(id, fastSettings({ autoRollback: true }));
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('app_degraded');

    expect(h.stubs.outcomes.get(id)).toEqual({
      outcome: { status: 'failed', error: { step: 'await_live', type: 'app_degraded', message: 'The app turned Degraded' } },
      autoRollback: true,
    });
    expect(h.stubs.count(id, 'startAutoRollback')).toBe(1);
    const rollbackId = h.stubs.rollbackIds.get(id)!;
    // The rollback ran as a child of the failed deploy, with the rollback's plan, and succeeded.
    expect(h.stubs.steps(rollbackId)).toEqual(['verifyImage', 'commitRelease', 'awaitLive']);
    expect(h.stubs.calls.find((c) => c.id === rollbackId && c.activity === 'prepareDeployment')?.input).toEqual({
      deploymentId: rollbackId,
      kind: 'rollback',
      steps: ['verify_image', 'commit_release', 'await_live'],
    });
    expect(h.stubs.outcomes.get(rollbackId)).toEqual({ outcome: { status: 'succeeded' } });
    expect(await childrenOf(deploymentWorkflowId(id))).toEqual([deploymentWorkflowId(rollbackId)]);
    const child = await h.client.workflow.getHandle(deploymentWorkflowId(rollbackId)).describe();
    expect(child.parentExecution?.workflowId).toBe(deploymentWorkflowId(id));
    // The failure is recorded (with its rollback row) before the rollback starts.
    const order = h.stubs.calls.map((c) => `${c.activity} ${c.id}`);
    expect(order.indexOf(`recordOutcome ${id}`)).toBeLessThan(order.indexOf(`startAutoRollback ${id}`));
    expect(order.indexOf(`startAutoRollback ${id}`)).toBeLessThan(order.indexOf(`prepareDeployment ${rollbackId}`));
  });

  it('no earlier release to go back to: the deploy fails and no rollback runs', async () => {
    const id = randomUUID();
    h.stubs.on(id, 'awaitLive', degraded);
    h.stubs.rollbackIds.set(id, null);
    const failure = await failureOf((await start(id, fastSettings({ autoRollback: true }))).result());
    expect(failure.type).toBe('app_degraded');
    expect(h.stubs.count(id, 'startAutoRollback')).toBe(1);
    expect(await childrenOf(deploymentWorkflowId(id))).toEqual([]);
  });

  it.each([
    { case: 'repo_unreachable at await_live (the platform, not the release)', step: 'awaitLive', type: 'repo_unreachable', autoRollback: true },
    { case: 'app_degraded with AUTO_ROLLBACK off', step: 'awaitLive', type: 'app_degraded', autoRollback: false },
    { case: 'a failed build (nothing was committed)', step: 'build', type: 'build_failed', autoRollback: true },
  ] as const)('no automatic rollback after $case', async ({ step, type, autoRollback }) => {
    const id = randomUUID();
    h.stubs.on(id, step, async () => {
      throw ApplicationFailure.nonRetryable(`failed with ${type}`, type);
    });
    const failure = await failureOf((await start(id, fastSettings({ autoRollback }))).result());
    expect(failure.type).toBe(type);
    const recorded = h.stubs.outcomes.get(id);
    expect(recorded).toEqual({
      outcome: { status: 'failed', error: { step: step === 'build' ? 'build' : 'await_live', type, message: `failed with ${type}` } },
    });
    expect(h.stubs.count(id, 'startAutoRollback')).toBe(0);
    expect(await childrenOf(deploymentWorkflowId(id))).toEqual([]);
    // A build that failed on its own has ended in Jenkins: nothing to stop.
    expect(h.stubs.count(id, 'stopBuild')).toBe(0);
  });
});
