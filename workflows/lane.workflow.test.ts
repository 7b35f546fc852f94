// projectLane on the test run's Temporal server, with the real deployWorkflow as its child and
// stand-in activities: one deployment at a time, a newer request supersedes the queued ones, a
// cancel removes a queued one or stops the running one (its step's activity cancelled, the
// Jenkins build stopped), a rollback cancels the running deploy, an id enqueued twice runs once,
// and the queue survives the continue-as-new that keeps the lane's history short.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BuildResult, DeploymentKind } from '../activities/types.js';
import { deploymentWorkflowId, laneWorkflowId, WorkflowType } from '../lib/workflow-ids.js';
import { fastSettings, Gate, startHarness, type Harness } from '../test/support/workflow-harness.js';
import type { projectLane } from './lane.js';
import { cancelDeployment, enqueueDeployment, laneState, type LaneRequest } from './messages.js';

let h: Harness;
const lanes: string[] = [];
beforeAll(async () => {
  h = await startHarness('lane-wf', inject('temporalAddress'));
}, 120_000);
afterAll(async () => {
  // The lanes wait for requests forever: end them, so the worker can stop.
  await Promise.allSettled(lanes.map((id) => h.client.workflow.getHandle(id).terminate('test over')));
  await h?.close();
});

const built: BuildResult = { buildNumber: 1, imageRepository: 'apps/app', imageTag: 'tag', reused: false };

/** A lane of its own for one test. */
function newLane() {
  const projectId = randomUUID();
  const workflowId = laneWorkflowId(projectId);
  lanes.push(workflowId);
  const request = (deploymentId: string, kind: DeploymentKind = 'deploy'): LaneRequest => ({ deploymentId, kind, settings: fastSettings() });
  return {
    workflowId,
    handle: () => h.client.workflow.getHandle<typeof projectLane>(workflowId),
    enqueue: (deploymentId: string, kind: DeploymentKind = 'deploy') =>
      h.client.workflow.signalWithStart<typeof projectLane, [LaneRequest]>(WorkflowType.lane, {
        workflowId,
        taskQueue: h.taskQueue,
        args: [{ projectId }],
        signal: enqueueDeployment,
        signalArgs: [request(deploymentId, kind)],
      }),
    cancel: (deploymentId: string) => h.client.workflow.getHandle(workflowId).executeUpdate(cancelDeployment, { args: [{ deploymentId }] }),
    state: () => h.client.workflow.getHandle(workflowId).query(laneState),
  };
}

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

describe('projectLane', () => {
  it('a request arriving while one runs supersedes the queued ones; the running one and the newest run, one after the other', async () => {
    const lane = newLane();
    const [d1, d2, d3] = ids(3);
    const gate = new Gate();
    h.stubs.on(d1!, 'build', gate.hold(built));
    await lane.enqueue(d1!);
    await h.stubs.until('d1 building', () => h.stubs.count(d1!, 'build') === 1);
    await lane.enqueue(d2!);
    await lane.enqueue(d3!);

    expect(await h.stubs.outcome(d2!)).toEqual({
      outcome: { status: 'superseded', supersededBy: d3, error: { step: 'queue', type: 'superseded', message: `Superseded by deployment ${d3}` } },
    });
    expect(await lane.state()).toEqual({ running: d1, queued: [d3] });
    gate.open();
    expect((await h.stubs.outcome(d1!)).outcome.status).toBe('succeeded');
    expect((await h.stubs.outcome(d3!)).outcome.status).toBe('succeeded');
    expect(h.stubs.called(d2!)).toEqual(['recordOutcome']); // never prepared, never ran
    // One at a time: d3 started only after d1 was recorded.
    const order = h.stubs.calls.map((c) => `${c.activity} ${c.id}`);
    expect(order.indexOf(`recordOutcome ${d1}`)).toBeLessThan(order.indexOf(`prepareDeployment ${d3}`));
  });

  it('cancelling a queued deployment answers cancelled, records it, and it never runs', async () => {
    const lane = newLane();
    const [d1, d2, d3] = ids(3);
    const gate = new Gate();
    h.stubs.on(d1!, 'build', gate.hold(built));
    await lane.enqueue(d1!);
    await h.stubs.until('d1 building', () => h.stubs.count(d1!, 'build') === 1);
    await lane.enqueue(d2!);

    expect(await lane.cancel(d2!)).toBe('cancelled');
    expect(await h.stubs.outcome(d2!)).toEqual({
      outcome: { status: 'cancelled', error: { step: 'queue', type: 'cancelled', message: 'Cancelled on request before it started' } },
    });
    expect(await lane.state()).toEqual({ running: d1, queued: [] });
    expect(await lane.cancel(randomUUID())).toBe('not-in-lane');
    gate.open();
    // A later request runs: the lane went on, and d2 never started.
    await lane.enqueue(d3!);
    expect((await h.stubs.outcome(d3!)).outcome.status).toBe('succeeded');
    expect((await h.stubs.outcome(d1!)).outcome.status).toBe('succeeded');
    expect(h.stubs.called(d2!)).toEqual(['recordOutcome']);
  });

  it('cancelling the running deployment in build answers cancelling, cancels the build activity, stops the Jenkins build, and the deployment ends cancelled', async () => {
    const lane = newLane();
    const [d1, d2] = ids(2);
    h.stubs.on(d1!, 'build', h.stubs.runUntilCancelled('build', d1!));
    await lane.enqueue(d1!);
    await h.stubs.until('d1 building', () => h.stubs.events.includes(`build started ${d1}`));

    expect(await lane.cancel(d1!)).toBe('cancelling');
    expect(await h.stubs.outcome(d1!)).toEqual({
      outcome: { status: 'cancelled', error: { step: 'build', type: 'cancelled', message: 'Cancelled on request' } },
    });
    // The step's own clean-up first (the activity saw its cancellation), then stopBuild, then the record.
    const events = h.stubs.events.filter((e) => e.endsWith(d1!));
    expect(events).toEqual([`build started ${d1}`, `build cancelled ${d1}`, `stopBuild ${d1}`, `cancelled ${d1}`]);
    const child = h.client.workflow.getHandle(deploymentWorkflowId(d1!));
    await expect(child.result()).rejects.toThrow();
    expect((await child.describe()).status.name).toBe('CANCELLED');
    expect(h.stubs.steps(d1!)).toEqual(['resolveSource', 'build']);

    // The lane goes on with the next request.
    await lane.enqueue(d2!);
    expect((await h.stubs.outcome(d2!)).outcome.status).toBe('succeeded');
  });

  it('a cancel that arrives while the deployment is starting is recorded cancelled at queue, after the start was written', async () => {
    const lane = newLane();
    const [d1] = ids(1);
    const gate = new Gate();
    h.stubs.on(d1!, 'prepareDeployment', gate.hold({ projectId: 'p', workspaceId: 'w', trigger: 'manual' as const }));
    await lane.enqueue(d1!);
    await h.stubs.until('d1 starting', () => h.stubs.count(d1!, 'prepareDeployment') > 0);
    expect(await lane.cancel(d1!)).toBe('cancelling');
    gate.open();
    expect((await h.stubs.outcome(d1!)).outcome).toEqual({ status: 'cancelled', error: { step: 'queue', type: 'cancelled', message: 'Cancelled on request' } });
    expect(h.stubs.steps(d1!)).toEqual([]);
    // The start finished before the outcome was written (the cancel waited for it).
    const called = h.stubs.called(d1!);
    expect(called.indexOf('prepareDeployment')).toBeLessThan(called.indexOf('recordOutcome'));
  });

  it('a deployment the bookkeeping refuses to start is recorded failed, not left queued', async () => {
    const lane = newLane();
    const [d1] = ids(1);
    h.stubs.on(d1!, 'prepareDeployment', async () => {
      throw ApplicationFailure.create({ type: 'invalid_input', message: 'Deployment is a rollback, not a deploy', nonRetryable: true });
    });
    await lane.enqueue(d1!);
    expect((await h.stubs.outcome(d1!)).outcome).toEqual({
      status: 'failed',
      error: { step: 'queue', type: 'invalid_input', message: 'Deployment is a rollback, not a deploy' },
    });
    expect(h.stubs.steps(d1!)).toEqual([]);
  });

  it('cancelling the running deployment after its build stops no build', async () => {
    const lane = newLane();
    const [d1] = ids(1);
    h.stubs.on(d1!, 'awaitLive', h.stubs.runUntilCancelled('awaitLive', d1!));
    await lane.enqueue(d1!);
    await h.stubs.until('d1 awaiting live', () => h.stubs.events.includes(`awaitLive started ${d1}`));
    expect(await lane.cancel(d1!)).toBe('cancelling');
    expect((await h.stubs.outcome(d1!)).outcome).toMatchObject({ status: 'cancelled', error: { step: 'await_live', type: 'cancelled' } });
    expect(h.stubs.events).toContain(`awaitLive cancelled ${d1}`);
    expect(h.stubs.count(d1!, 'stopBuild')).toBe(0);
  });

  it('a rollback request cancels the running deploy (stopping its build), supersedes the queued one, then runs its own three steps', async () => {
    const lane = newLane();
    const [d1, d2, r1] = ids(3);
    h.stubs.on(d1!, 'build', h.stubs.runUntilCancelled('build', d1!));
    await lane.enqueue(d1!);
    await h.stubs.until('d1 building', () => h.stubs.events.includes(`build started ${d1}`));
    await lane.enqueue(d2!);
    await lane.enqueue(r1!, 'rollback');

    expect((await h.stubs.outcome(d2!)).outcome).toMatchObject({ status: 'superseded', supersededBy: r1 });
    expect((await h.stubs.outcome(d1!)).outcome).toMatchObject({ status: 'cancelled', error: { step: 'build', type: 'cancelled' } });
    expect(h.stubs.events).toContain(`stopBuild ${d1}`);
    expect((await h.stubs.outcome(r1!)).outcome.status).toBe('succeeded');
    expect(h.stubs.steps(r1!)).toEqual(['verifyImage', 'commitRelease', 'awaitLive']);
    const order = h.stubs.calls.map((c) => `${c.activity} ${c.id}`);
    expect(order.indexOf(`recordOutcome ${d1}`)).toBeLessThan(order.indexOf(`prepareDeployment ${r1}`));
  });

  it('the same deployment id enqueued twice (and again after it ran) runs once', async () => {
    const lane = newLane();
    const [d1, sentinel] = ids(2);
    await lane.enqueue(d1!);
    await lane.enqueue(d1!);
    expect((await h.stubs.outcome(d1!)).outcome.status).toBe('succeeded');
    await lane.enqueue(d1!);
    // Signals are handled in order: once the next request has run, the third d1 was seen too.
    await lane.enqueue(sentinel!);
    expect((await h.stubs.outcome(sentinel!)).outcome.status).toBe('succeeded');
    expect(h.stubs.count(d1!, 'prepareDeployment')).toBe(1);
    expect(h.stubs.count(d1!, 'recordOutcome')).toBe(1);
  });

  it('after RUNS_PER_HISTORY runs the lane continues as new, and a request queued at that moment runs in the next run', async () => {
    // workflows/lane.ts RUNS_PER_HISTORY: the count of deployments one run of the lane handles.
    const RUNS_PER_HISTORY = 50;
    const lane = newLane();
    const chain = ids(RUNS_PER_HISTORY);
    const carried = randomUUID();
    // Each deployment of the chain, once started, enqueues the next: the queue is empty whenever
    // one arrives (nothing superseded), so the first run handles exactly RUNS_PER_HISTORY. The
    // last enqueues `carried`, which is then queued while the lane reaches its limit. To keep
    // fifty runs to seconds, the chain's deployments end at once: the bookkeeping refuses them
    // (as it refuses a row of another kind), which the lane counts as a run like any other.
    chain.forEach((id, i) => {
      const next = chain[i + 1] ?? carried;
      h.stubs.on(id, 'prepareDeployment', async () => {
        await lane.enqueue(next);
        throw ApplicationFailure.nonRetryable('refused by the stand-in bookkeeping', 'invalid_input');
      });
    });
    const first = await lane.enqueue(chain[0]!);
    const firstRunId = first.signaledRunId;

    expect((await h.stubs.outcome(carried, 120_000)).outcome.status).toBe('succeeded');
    expect(chain.map((id) => h.stubs.count(id, 'prepareDeployment'))).toEqual(chain.map(() => 1));
    // The first run ended in a continue-as-new after exactly RUNS_PER_HISTORY deployments ...
    const firstRun = h.client.workflow.getHandle(lane.workflowId, firstRunId);
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    const history = await firstRun.fetchHistory();
    const children = (history.events ?? []).flatMap((e) =>
      e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId] : [],
    );
    expect(children).toEqual(chain.map(deploymentWorkflowId));
    // ... and `carried`, queued then, ran as a child of the next run.
    const now = await lane.handle().describe();
    expect(now.runId).not.toBe(firstRunId);
    expect(now.status.name).toBe('RUNNING');
    const child = await h.client.workflow.getHandle(deploymentWorkflowId(carried)).describe();
    expect(child.parentExecution).toEqual({ workflowId: lane.workflowId, runId: now.runId });
  }, 180_000);

  it('when Temporal suggests it (a long history), the lane continues as new after the running deployment, carrying the queue', async () => {
    const lane = newLane();
    const [d1, d2] = ids(2);
    const gate = new Gate();
    h.stubs.on(d1!, 'build', gate.hold(built));
    const first = await lane.enqueue(d1!);
    await h.stubs.until('d1 building', () => h.stubs.count(d1!, 'build') === 1);
    // The server suggests a continue-as-new once a history passes 4 MB
    // (limit.historySize.suggestContinueAsNew): three signals of 1.5 MB that the lane ignores
    // (no deployment id) get it there without hundreds of runs.
    const padding = { padding: 'x'.repeat(1_500_000) } as unknown as LaneRequest;
    for (let i = 0; i < 3; i += 1) await lane.handle().signal(enqueueDeployment, padding);
    await lane.enqueue(d2!);
    gate.open();

    expect((await h.stubs.outcome(d1!)).outcome.status).toBe('succeeded');
    expect((await h.stubs.outcome(d2!)).outcome.status).toBe('succeeded');
    const firstRun = h.client.workflow.getHandle(lane.workflowId, first.signaledRunId);
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    const now = await lane.handle().describe();
    expect(now.runId).not.toBe(first.signaledRunId);
    expect((await h.client.workflow.getHandle(deploymentWorkflowId(d1!)).describe()).parentExecution?.runId).toBe(first.signaledRunId);
    expect((await h.client.workflow.getHandle(deploymentWorkflowId(d2!)).describe()).parentExecution?.runId).toBe(now.runId);
  });
});
