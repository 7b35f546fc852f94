// The workflows alone on the test run's Temporal server: a worker on a task queue of its own
// with the real workflow bundle and stand-in activities that record every call. A test says
// per deployment how a step behaves (fail, run until cancelled, wait for a gate); every other
// activity answers at once, so a deployment takes a fraction of a second.
import { randomUUID } from 'node:crypto';
import { Context, CancelledFailure, type Info } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { DeployActivities, DeploymentFacts, Outcome } from '../../activities/types.js';
import type { UndeployActivities } from '../../activities/undeploy-types.js';
import type { DeploySettings } from '../../workflows/plan.js';
import { workflowBundle } from './engine-stack.js';

type AllActivities = DeployActivities & UndeployActivities;
export type ActivityName = keyof AllActivities;

export interface Call {
  activity: ActivityName;
  /** The deployment id of the input (the project id for the undeploy's activities). */
  id: string;
  input: unknown;
  info: Pick<Info, 'startToCloseTimeoutMs' | 'scheduleToCloseTimeoutMs' | 'heartbeatTimeoutMs' | 'attempt'> & { workflowId: string; runId: string };
}

export interface RecordedOutcome {
  outcome: Outcome;
  autoRollback?: boolean;
}

/** Short limits: a test that waits on one fails within seconds, not minutes. */
export const fastSettings = (overrides: Partial<DeploySettings> = {}): DeploySettings => ({
  timeoutsMs: { resolveSource: 20_000, build: 20_000, verifyImage: 20_000, commitRelease: 20_000, awaitLive: 20_000 },
  autoRollback: false,
  ...overrides,
});

type Hook = (input: never) => Promise<unknown>;

export class Stubs {
  readonly calls: Call[] = [];
  /** Plain-text happenings (`build cancelled d1`), for ordering checks and failure messages. */
  readonly events: string[] = [];
  readonly outcomes = new Map<string, RecordedOutcome>();
  /** What startAutoRollback answers for a failed deployment (a fresh id when not set). */
  readonly rollbackIds = new Map<string, string | null>();
  private readonly hooks = new Map<string, Hook>();

  /** Replaces one activity for one deployment. */
  on<K extends ActivityName>(id: string, activity: K, hook: (input: Parameters<AllActivities[K]>[0]) => ReturnType<AllActivities[K]>): void {
    this.hooks.set(`${activity} ${id}`, hook);
  }

  /** The activities the workflows called for `id`, in order. */
  called(id: string): ActivityName[] {
    return this.calls.filter((c) => c.id === id).map((c) => c.activity);
  }

  /** The step activities only (what a deployment ran). */
  steps(id: string): ActivityName[] {
    const steps: ReadonlySet<ActivityName> = new Set(['resolveSource', 'build', 'verifyImage', 'commitRelease', 'awaitLive']);
    return this.called(id).filter((a) => steps.has(a));
  }

  count(id: string, activity: ActivityName): number {
    return this.calls.filter((c) => c.id === id && c.activity === activity).length;
  }

  async until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${this.events.join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Until the deployment's outcome is recorded; returns it. */
  async outcome(id: string, timeoutMs = 20_000): Promise<RecordedOutcome> {
    await this.until(`the outcome of ${id}`, () => this.outcomes.has(id), timeoutMs);
    return this.outcomes.get(id)!;
  }

  activities(): AllActivities {
    const stub = <K extends ActivityName>(activity: K, fallback: (input: Parameters<AllActivities[K]>[0]) => ReturnType<AllActivities[K]>) =>
      (async (input: Parameters<AllActivities[K]>[0]) => {
        const id = (input as { deploymentId?: string; projectId?: string }).deploymentId ?? (input as { projectId: string }).projectId;
        const info = Context.current().info;
        this.calls.push({
          activity,
          id,
          input,
          info: {
            startToCloseTimeoutMs: info.startToCloseTimeoutMs,
            scheduleToCloseTimeoutMs: info.scheduleToCloseTimeoutMs,
            heartbeatTimeoutMs: info.heartbeatTimeoutMs,
            attempt: info.attempt,
            workflowId: info.workflowExecution?.workflowId ?? '',
            runId: info.workflowExecution?.runId ?? '',
          },
        });
        const hook = this.hooks.get(`${activity} ${id}`) as ((i: typeof input) => ReturnType<AllActivities[K]>) | undefined;
        return (hook ?? fallback)(input);
      }) as AllActivities[K];
    const facts: DeploymentFacts = { projectId: 'project', workspaceId: 'workspace', trigger: 'manual' };
    return {
      prepareDeployment: stub('prepareDeployment', async () => facts),
      markStep: stub('markStep', async () => {}),
      resolveSource: stub('resolveSource', async () => ({ commitSha: 'c'.repeat(40), framework: 'node' })),
      build: stub('build', async () => ({ buildNumber: 1, imageRepository: 'apps/app', imageTag: 'tag', reused: false })),
      verifyImage: stub('verifyImage', async () => ({ imageDigest: `sha256:${'d'.repeat(64)}` })),
      commitRelease: stub('commitRelease', async () => ({ gitopsCommitSha: 'e'.repeat(40) })),
      awaitLive: stub('awaitLive', async () => {}),
      recordOutcome: stub('recordOutcome', async ({ deploymentId, outcome, autoRollback }) => {
        this.outcomes.set(deploymentId, { outcome, ...(autoRollback === undefined ? {} : { autoRollback }) });
        this.events.push(`${outcome.status} ${deploymentId}`);
      }),
      startAutoRollback: stub('startAutoRollback', async ({ deploymentId }) => {
        const rollbackId = this.rollbackIds.has(deploymentId) ? this.rollbackIds.get(deploymentId)! : randomUUID();
        if (rollbackId) this.rollbackIds.set(deploymentId, rollbackId);
        return { rollbackId };
      }),
      reportToGitHub: stub('reportToGitHub', async () => {}),
      stopBuild: stub('stopBuild', async ({ deploymentId }) => void this.events.push(`stopBuild ${deploymentId}`)),
      prepareUndeploy: stub('prepareUndeploy', async ({ projectId }) => ({ projectId, workspaceId: 'workspace', appName: 'app' })),
      markUndeployStep: stub('markUndeployStep', async () => {}),
      cancelStrayDeployments: stub('cancelStrayDeployments', async () => ({ cancelled: 0 })),
      removeAppFolder: stub('removeAppFolder', async () => ({ gitopsCommitSha: 'f'.repeat(40) })),
      awaitAppGone: stub('awaitAppGone', async () => {}),
      finishUndeploy: stub('finishUndeploy', async ({ projectId, outcome }) => void this.events.push(`undeploy ${outcome.status} ${projectId}`)),
    };
  }

  /**
   * A step that runs until the workflow cancels it (heartbeats carry the cancellation), then
   * notes `<name> cancelled <id>`; bounded, so a test that forgets it does not hang the worker.
   */
  runUntilCancelled(name: string, id: string, boundMs = 15_000): () => Promise<never> {
    return async () => {
      this.events.push(`${name} started ${id}`);
      const started = Date.now();
      try {
        while (Date.now() - started < boundMs) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      } catch (error) {
        if (error instanceof CancelledFailure) this.events.push(`${name} cancelled ${id}`);
        throw error;
      }
      throw new Error(`${name} of ${id} was never cancelled`);
    };
  }
}

/** Holds a step until the test opens it (heartbeating meanwhile, so its heartbeat timeout never passes). */
export class Gate {
  private opened = false;
  open(): void {
    this.opened = true;
  }
  hold<T>(result: T): () => Promise<T> {
    return async () => {
      while (!this.opened) {
        Context.current().heartbeat();
        await Context.current().sleep(20);
      }
      return result;
    };
  }
}

export interface Harness {
  client: Client;
  taskQueue: string;
  stubs: Stubs;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startHarness(prefix: string, address: string): Promise<Harness> {
  if (!runtimeInstalled) {
    // Temporal's own logs at ERROR: the expected activity failures (logged at WARN) stay quiet.
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const taskQueue = `${prefix}-${randomUUID().slice(0, 8)}`;
  const stubs = new Stubs();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: stubs.activities(),
    // Heartbeats reach the server at once, so a cancelled step learns of it in milliseconds
    // (by default they are throttled to 80% of the 10 s heartbeat timeout).
    maxHeartbeatThrottleInterval: '50ms',
    shutdownGraceTime: '2s',
  });
  const running = worker.run();
  return {
    client,
    taskQueue,
    stubs,
    async close() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}
