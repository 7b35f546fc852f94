// The undeploy and the closed lane as workflows, on the test run's real Temporal server with
// stand-in activities: the undeploy removes the folder only after the lane has cancelled its
// queued and running deployments and recorded them, and a request that reaches the closed lane
// later is recorded cancelled instead of deploying.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DeployActivities, Outcome } from '../activities/types.js';
import type { UndeployActivities } from '../activities/undeploy-types.js';
import { workflowBundle } from './support/engine-stack.js';
import { laneWorkflowId, undeployWorkflowId } from '../lib/workflow-ids.js';
import type { projectLane } from '../workflows/lane.js';
import { enqueueDeployment, type LaneRequest } from '../workflows/messages.js';
import type { DeploySettings } from '../workflows/plan.js';
import type { undeployWorkflow } from '../workflows/undeploy.js';

const taskQueue = `undeploy-wf-${randomUUID().slice(0, 8)}`;
const events: string[] = [];
const outcomes = new Map<string, Outcome>();
let connection: Connection;
let client: Client;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;

const settings: DeploySettings = {
  timeoutsMs: { resolveSource: 60_000, build: 60_000, verifyImage: 60_000, commitRelease: 60_000, awaitLive: 60_000 },
  autoRollback: false,
};
const undeploySettings = { timeoutMs: 30_000, commitTimeoutMs: 10_000 };

const activities: Partial<DeployActivities> & UndeployActivities = {
  prepareDeployment: async () => ({ projectId: 'p', workspaceId: 'w', trigger: 'manual' }),
  resolveSource: async () => ({ commitSha: 'b'.repeat(40), framework: 'node' }),
  markStep: async () => {},
  reportToGitHub: async () => {},
  stopBuild: async ({ deploymentId }) => void events.push(`stopBuild ${deploymentId}`),
  // A long build: runs until cancelled (heartbeats carry the cancellation).
  build: async ({ deploymentId }) => {
    events.push(`build ${deploymentId}`);
    for (;;) {
      Context.current().heartbeat();
      await Context.current().sleep(200);
    }
  },
  recordOutcome: async ({ deploymentId, outcome }) => {
    outcomes.set(deploymentId, outcome);
    events.push(`${outcome.status} ${deploymentId}`);
  },
  prepareUndeploy: async ({ projectId }) => ({ projectId, workspaceId: 'w', appName: 'w-u-p' }),
  markUndeployStep: async () => {},
  cancelStrayDeployments: async () => ({ cancelled: 0 }),
  removeAppFolder: async () => {
    events.push('removeAppFolder');
    return { gitopsCommitSha: 'a'.repeat(40) };
  },
  awaitAppGone: async () => void events.push('awaitAppGone'),
  finishUndeploy: async ({ outcome }) => void events.push(`undeploy ${outcome.status}`),
};

beforeAll(async () => {
  // Temporal's own logs at ERROR (this file starts no engine stack, which would do it).
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  nativeConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  running = worker.run();
}, 120_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${events.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('undeployWorkflow and the closed lane', () => {
  it('cancels the running and the queued deployment first, then removes the folder; a later request is cancelled, not run', async () => {
    const projectId = randomUUID();
    const [d1, d2, d3] = [randomUUID(), randomUUID(), randomUUID()];
    const enqueue = (deploymentId: string) =>
      client.workflow.signalWithStart<typeof projectLane, [LaneRequest]>('projectLane', {
        workflowId: laneWorkflowId(projectId),
        taskQueue,
        args: [{ projectId }],
        signal: enqueueDeployment,
        signalArgs: [{ deploymentId, kind: 'deploy', settings }],
      });
    await enqueue(d1);
    await until('d1 building', () => events.includes(`build ${d1}`));
    await enqueue(d2);

    const outcome = await client.workflow.execute<typeof undeployWorkflow>('undeployWorkflow', {
      workflowId: undeployWorkflowId(projectId),
      taskQueue,
      args: [{ projectId, settings: undeploySettings }],
    });
    expect(outcome).toEqual({ status: 'succeeded', gitopsCommitSha: 'a'.repeat(40) });
    expect(outcomes.get(d1)?.status).toBe('cancelled');
    expect(outcomes.get(d2)).toMatchObject({ status: 'cancelled', error: { step: 'queue', message: 'Cancelled: the project was deleted' } });
    const removedAt = events.indexOf('removeAppFolder');
    expect(events.indexOf(`cancelled ${d1}`)).toBeLessThan(removedAt);
    expect(events.indexOf(`cancelled ${d2}`)).toBeLessThan(removedAt);
    expect(events.indexOf(`stopBuild ${d1}`)).toBeGreaterThanOrEqual(0);
    expect(events.slice(removedAt)).toEqual(['removeAppFolder', 'awaitAppGone', 'undeploy succeeded']);

    // The closed lane is still there for its grace period: a late request is recorded cancelled.
    await enqueue(d3);
    await until('d3 recorded', () => outcomes.has(d3));
    expect(outcomes.get(d3)?.status).toBe('cancelled');
    await client.workflow.getHandle(laneWorkflowId(projectId)).terminate('test over');
  });

  it('a project with no lane: the undeploy does not wait for one', async () => {
    const projectId = randomUUID();
    const started = Date.now();
    const outcome = await client.workflow.execute<typeof undeployWorkflow>('undeployWorkflow', {
      workflowId: undeployWorkflowId(projectId),
      taskQueue,
      args: [{ projectId, settings: undeploySettings }],
    });
    expect(outcome.status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
